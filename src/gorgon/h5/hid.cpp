#include "gorgon/h5/hid.hpp"

namespace gorgon::h5::detail {

bool Hid::reset() noexcept {
  if (id_ < 0) return true;
  herr_t status = 0;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: status = H5Fclose(id_); break;
    case H5I_GROUP: status = H5Gclose(id_); break;
    case H5I_DATASET: status = H5Dclose(id_); break;
    case H5I_DATASPACE: status = H5Sclose(id_); break;
    case H5I_DATATYPE: status = H5Tclose(id_); break;
    case H5I_ATTR: status = H5Aclose(id_); break;
    case H5I_GENPROP_LST: status = H5Pclose(id_); break;
    default: status = H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
  return status >= 0;
}

void silence_hdf5_errors() noexcept {
  thread_local bool done = false;
  if (done) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  done = true;
}

namespace {
herr_t deepest(unsigned, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (e->desc != nullptr && e->desc[0] != '\0') *out = e->desc;
  return 0;
}
}  // namespace

std::string hdf5_error_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, deepest, &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

Hid check_id(hid_t id, const std::string& what) {
  if (id < 0) {
    const std::string detail = hdf5_error_message();
    throw FileError(detail.empty() ? what : what + " (HDF5: " + detail + ")");
  }
  return Hid(id);
}

void check(herr_t status, const std::string& what) {
  if (status < 0) {
    const std::string detail = hdf5_error_message();
    throw FileError(detail.empty() ? what : what + " (HDF5: " + detail + ")");
  }
}

}  // namespace gorgon::h5::detail
