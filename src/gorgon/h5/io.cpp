#include "gorgon/h5/io.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace gorgon::h5::detail {
namespace {

Hid string_type(bool variable, std::size_t size) {
  Hid type = check_id(H5Tcopy(H5T_C_S1), "H5Tcopy");
  check(H5Tset_size(type.get(), variable ? H5T_VARIABLE : std::max<std::size_t>(size, 1)),
        "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  if (!variable) check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  return type;
}

/// Reads `n` strings of an attribute or dataset of string type `file_type` via `read`
/// (called with the memory type and the buffer).
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, std::size_t n, Read&& read) {
  if (H5Tget_class(file_type) != H5T_STRING) throw FileError("not a string");
  std::vector<std::string> out;
  if (n == 0) return out;
  out.reserve(n);
  if (H5Tis_variable_str(file_type) > 0) {
    Hid mem = string_type(true, 0);
    std::vector<char*> ptrs(n, nullptr);
    check(read(mem.get(), ptrs.data()), "cannot read strings");
    for (char* p : ptrs) {
      out.emplace_back(p != nullptr ? p : "");
      H5free_memory(p);
    }
    return out;
  }
  const std::size_t size = H5Tget_size(file_type);
  Hid mem = string_type(false, size);
  std::vector<char> buf(n * size + 1, '\0');
  check(read(mem.get(), buf.data()), "cannot read strings");
  for (std::size_t i = 0; i < n; ++i) {
    const char* s = buf.data() + i * size;
    out.emplace_back(s, strnlen(s, size));
  }
  return out;
}

std::string number_text(hid_t attr, hid_t type, std::size_t n) {
  std::string text;
  if (H5Tget_class(type) == H5T_FLOAT) {
    std::vector<double> v(n);
    check(H5Aread(attr, H5T_NATIVE_DOUBLE, v.data()), "H5Aread");
    for (std::size_t i = 0; i < n; ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v[i]);
      text += (i ? ", " : "") + std::string(buf);
    }
  } else if (H5Tget_sign(type) == H5T_SGN_NONE) {
    std::vector<std::uint64_t> v(n);
    check(H5Aread(attr, H5T_NATIVE_UINT64, v.data()), "H5Aread");
    for (std::size_t i = 0; i < n; ++i) text += (i ? ", " : "") + std::to_string(v[i]);
  } else {
    std::vector<std::int64_t> v(n);
    check(H5Aread(attr, H5T_NATIVE_INT64, v.data()), "H5Aread");
    for (std::size_t i = 0; i < n; ++i) text += (i ? ", " : "") + std::to_string(v[i]);
  }
  return text;
}

herr_t collect_attr(hid_t obj, const char* name, const H5A_info_t*, void* data) {
  auto* out = static_cast<Attributes*>(data);
  try {
    Hid attr = check_id(H5Aopen(obj, name, H5P_DEFAULT), "H5Aopen");
    Hid type = check_id(H5Aget_type(attr.get()), "H5Aget_type");
    Hid space = check_id(H5Aget_space(attr.get()), "H5Aget_space");
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
    const bool array = H5Sget_simple_extent_ndims(space.get()) > 0;
    std::string text;
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_STRING) {
      auto strings = read_strings(type.get(), n, [&](hid_t mem, void* buf) {
        return H5Aread(attr.get(), mem, buf);
      });
      for (std::size_t i = 0; i < strings.size(); ++i) text += (i ? ", " : "") + strings[i];
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
      text = number_text(attr.get(), type.get(), n);
    } else {
      text = "(not shown)";
    }
    out->emplace_back(name, array ? "[" + text + "]" : text);
  } catch (const FileError&) {
    out->emplace_back(name, "(unreadable)");
  }
  return 0;
}

}  // namespace

void write_attr(hid_t obj, const char* name, const std::string& value) {
  Hid type = string_type(true, 0);
  Hid space = check_id(H5Screate(H5S_SCALAR), "H5Screate");
  Hid attr = check_id(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      std::string("cannot create attribute '") + name + "'");
  const char* p = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &p), std::string("cannot write attribute '") + name + "'");
}

void write_attr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Hid type = string_type(true, 0);
  const hsize_t n = values.size();
  Hid space = check_id(H5Screate_simple(1, &n, nullptr), "H5Screate_simple");
  Hid attr = check_id(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      std::string("cannot create attribute '") + name + "'");
  if (values.empty()) return;  // an empty array: nothing to write (and no buffer to give)
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  check(H5Awrite(attr.get(), type.get(), ptrs.data()),
        std::string("cannot write attribute '") + name + "'");
}

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

std::vector<std::string> read_strings_attr(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) throw FileError(std::string("attribute '") + name + "' is missing");
  Hid attr = check_id(H5Aopen(obj, name, H5P_DEFAULT), std::string("cannot open attribute '") + name + "'");
  Hid type = check_id(H5Aget_type(attr.get()), "H5Aget_type");
  Hid space = check_id(H5Aget_space(attr.get()), "H5Aget_space");
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  try {
    return read_strings(type.get(), n,
                        [&](hid_t mem, void* buf) { return H5Aread(attr.get(), mem, buf); });
  } catch (const FileError& e) {
    throw FileError(std::string("attribute '") + name + "': " + e.what());
  }
}

std::string read_string_attr(hid_t obj, const char* name) {
  auto v = read_strings_attr(obj, name);
  if (v.size() != 1) throw FileError(std::string("attribute '") + name + "' is not one string");
  return v[0];
}

Attributes attributes_as_text(hid_t obj) {
  Attributes out;
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &out);
  return out;
}

Hid create_group(hid_t parent, const std::string& name) {
  return check_id(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  "cannot create group '" + name + "'");
}

bool has_link(hid_t parent, const std::string& name) {
  return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0;
}

Hid open_group(hid_t parent, const std::string& name) {
  if (!has_link(parent, name)) throw FileError("group '" + name + "' is missing");
  return check_id(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open group '" + name + "'");
}

void write_table_raw(hid_t parent, const char* name, hid_t file_type, hid_t mem_type,
                     const void* data, hsize_t rows, hsize_t cols, const Transfer& t) {
  const hsize_t dims[2] = {rows, cols};
  const int rank = cols > 0 ? 2 : 1;
  Hid space = check_id(H5Screate_simple(rank, dims, nullptr), "H5Screate_simple");
  Hid dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  Hid dset = check_id(H5Dcreate2(parent, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                                 H5P_DEFAULT),
                      std::string("cannot create dataset '") + name + "'");
  if (rows == 0 || (rank == 2 && cols == 0)) return;
  Hid mem = check_id(H5Scopy(space.get()), "H5Scopy");
  if (!t.gives_data) {
    check(H5Sselect_none(space.get()), "H5Sselect_none");
    check(H5Sselect_none(mem.get()), "H5Sselect_none");
  }
  static const std::uint64_t dummy = 0;
  check(H5Dwrite(dset.get(), mem_type, mem.get(), space.get(), t.dxpl,
                 t.gives_data ? data : &dummy),
        std::string("cannot write dataset '") + name + "'");
}

void write_string_table(hid_t parent, const char* name, const std::vector<std::string>& strings,
                        const Transfer& t) {
  std::size_t size = 1;
  for (const auto& s : strings) size = std::max(size, s.size());
  std::vector<char> buf(strings.size() * size + 1, '\0');
  for (std::size_t i = 0; i < strings.size(); ++i)
    std::memcpy(buf.data() + i * size, strings[i].data(), strings[i].size());
  Hid type = string_type(false, size);
  write_table_raw(parent, name, type.get(), type.get(), buf.data(), strings.size(), 0, t);
}

std::vector<hsize_t> dataset_dims(hid_t parent, const char* name) {
  if (!has_link(parent, name)) throw FileError(std::string("dataset '") + name + "' is missing");
  Hid dset = check_id(H5Dopen2(parent, name, H5P_DEFAULT),
                      std::string("cannot open dataset '") + name + "'");
  Hid space = check_id(H5Dget_space(dset.get()), "H5Dget_space");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 2) throw FileError(std::string("dataset '") + name + "' has a wrong shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

void read_table_raw(hid_t parent, const char* name, hid_t mem_type, void* data,
                    std::size_t expected) {
  Hid dset = check_id(H5Dopen2(parent, name, H5P_DEFAULT),
                      std::string("cannot open dataset '") + name + "'");
  Hid space = check_id(H5Dget_space(dset.get()), "H5Dget_space");
  if (static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())) != expected)
    throw FileError(std::string("dataset '") + name + "' changed size");
  if (expected == 0) return;
  check(H5Dread(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
        std::string("cannot read dataset '") + name + "'");
}

std::vector<std::string> read_string_table(hid_t parent, const char* name) {
  const auto dims = dataset_dims(parent, name);
  if (dims.size() != 1) throw FileError(std::string("dataset '") + name + "' is not 1-D");
  Hid dset = check_id(H5Dopen2(parent, name, H5P_DEFAULT),
                      std::string("cannot open dataset '") + name + "'");
  Hid type = check_id(H5Dget_type(dset.get()), "H5Dget_type");
  const auto n = static_cast<std::size_t>(dims[0]);
  if (n == 0) return {};
  try {
    return read_strings(type.get(), n, [&](hid_t mem, void* buf) {
      return H5Dread(dset.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    });
  } catch (const FileError& e) {
    throw FileError(std::string("dataset '") + name + "': " + e.what());
  }
}

}  // namespace gorgon::h5::detail
