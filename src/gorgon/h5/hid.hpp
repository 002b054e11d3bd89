#pragma once
// RAII around HDF5 identifiers, HDF5's error stack turned into FileError messages, and the
// C++ type <-> HDF5 type mapping. Internal to src/gorgon/h5: only .cpp files include this.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>

#include "gorgon/h5/file_error.hpp"

namespace gorgon::h5::detail {

/// One HDF5 identifier (file, group, dataset, dataspace, datatype, attribute or property
/// list), closed with the matching H5?close when it goes out of scope.
class Hid {
 public:
  Hid() noexcept = default;
  explicit Hid(hid_t id) noexcept : id_(id) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Hid() { reset(); }

  [[nodiscard]] hid_t get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }
  /// Closes the identifier now; returns false when HDF5 reports an error.
  bool reset() noexcept;
  /// Gives the identifier up without closing it (when closing would be collective and
  /// another rank will not take part).
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Turns HDF5's automatic error printing off (for this thread, once). Every entry point of
/// the reader and writer calls it: errors become FileError messages instead.
void silence_hdf5_errors() noexcept;

/// The most specific message on HDF5's error stack ("" when empty); clears the stack.
std::string hdf5_error_message();

/// Throws FileError("<what>: <HDF5's message>") when `id` is negative; returns it wrapped.
Hid check_id(hid_t id, const std::string& what);
/// Throws FileError("<what>: <HDF5's message>") when `status` is negative.
void check(herr_t status, const std::string& what);

/// HDF5 types of a C++ value type: `memory()` native, `file()` little-endian standard.
template <typename T>
struct TypeOf;
template <>
struct TypeOf<std::uint8_t> {
  static hid_t memory() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct TypeOf<std::uint16_t> {
  static hid_t memory() { return H5T_NATIVE_UINT16; }
  static hid_t file() { return H5T_STD_U16LE; }
};
template <>
struct TypeOf<std::uint32_t> {
  static hid_t memory() { return H5T_NATIVE_UINT32; }
  static hid_t file() { return H5T_STD_U32LE; }
};
template <>
struct TypeOf<std::uint64_t> {
  static hid_t memory() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
};
template <>
struct TypeOf<std::int32_t> {
  static hid_t memory() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct TypeOf<std::int64_t> {
  static hid_t memory() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct TypeOf<double> {
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};

}  // namespace gorgon::h5::detail
