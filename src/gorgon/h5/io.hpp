#pragma once
// Typed attribute, group and small-dataset helpers shared by the writer and the reader, so
// both sides of the format use the same types and layouts. Internal to src/gorgon/h5.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "gorgon/h5/hid.hpp"
#include "gorgon/h5/reader.hpp"

namespace gorgon::h5::detail {

// ---- attributes: in a parallel file every rank writes the same value -----------------------
/// A scalar fixed-length, null-padded UTF-8 string, as long as the value (at least 1 byte):
/// held in the attribute itself, under the object header's checksum, never in the global
/// heap (whose damage libhdf5 does not survive).
void write_attr(hid_t obj, const char* name, const std::string& value);
/// A 1-D array of fixed-length, null-padded UTF-8 strings, as long as the longest.
void write_attr(hid_t obj, const char* name, const std::vector<std::string>& values);

template <typename T>
void write_attr(hid_t obj, const char* name, T value) {
  Hid space = check_id(H5Screate(H5S_SCALAR), "H5Screate");
  Hid attr =
      check_id(H5Acreate2(obj, name, TypeOf<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               std::string("cannot create attribute '") + name + "'");
  check(H5Awrite(attr.get(), TypeOf<T>::memory(), &value),
        std::string("cannot write attribute '") + name + "'");
}

template <typename T>
void write_attr(hid_t obj, const char* name, const std::vector<T>& values) {
  const hsize_t n = values.size();
  Hid space = check_id(H5Screate_simple(1, &n, nullptr), "H5Screate_simple");
  Hid attr =
      check_id(H5Acreate2(obj, name, TypeOf<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               std::string("cannot create attribute '") + name + "'");
  if (values.empty()) return;  // an empty array: nothing to write
  check(H5Awrite(attr.get(), TypeOf<T>::memory(), values.data()),
        std::string("cannot write attribute '") + name + "'");
}

[[nodiscard]] bool has_attr(hid_t obj, const char* name);
/// FileError unless attribute `attr` stores exactly `n` values of `type`'s size (a damaged
/// header can declare more values than it holds).
void check_attr_storage(hid_t attr, hid_t type, hsize_t n, const char* name);
/// A string attribute: fixed length (format 2), or variable length (format 1, read as safely
/// as libhdf5 allows). FileError when missing, not strings, or of a size its storage denies.
[[nodiscard]] std::string read_string_attr(hid_t obj, const char* name);
[[nodiscard]] std::vector<std::string> read_strings_attr(hid_t obj, const char* name);

/// A numeric scalar attribute converted to T; FileError when missing or not a number.
template <typename T>
[[nodiscard]] T read_attr(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) throw FileError(std::string("attribute '") + name + "' is missing");
  Hid attr = check_id(H5Aopen(obj, name, H5P_DEFAULT),
                      std::string("cannot open attribute '") + name + "'");
  Hid type = check_id(H5Aget_type(attr.get()), "H5Aget_type");
  const H5T_class_t cls = H5Tget_class(type.get());
  Hid space = check_id(H5Aget_space(attr.get()), "H5Aget_space");
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Sget_simple_extent_npoints(space.get()) != 1)
    throw FileError(std::string("attribute '") + name + "' is not a number");
  check_attr_storage(attr.get(), type.get(), 1, name);
  T value{};
  check(H5Aread(attr.get(), TypeOf<T>::memory(), &value),
        std::string("cannot read attribute '") + name + "'");
  return value;
}

/// A numeric 1-D attribute converted to T; FileError when missing or not numbers.
template <typename T>
[[nodiscard]] std::vector<T> read_array_attr(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) throw FileError(std::string("attribute '") + name + "' is missing");
  Hid attr = check_id(H5Aopen(obj, name, H5P_DEFAULT),
                      std::string("cannot open attribute '") + name + "'");
  Hid type = check_id(H5Aget_type(attr.get()), "H5Aget_type");
  const H5T_class_t cls = H5Tget_class(type.get());
  Hid space = check_id(H5Aget_space(attr.get()), "H5Aget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || n < 0)
    throw FileError(std::string("attribute '") + name + "' is not numbers");
  check_attr_storage(attr.get(), type.get(), static_cast<hsize_t>(n), name);
  std::vector<T> values(static_cast<std::size_t>(n));
  if (n > 0)
    check(H5Aread(attr.get(), TypeOf<T>::memory(), values.data()),
          std::string("cannot read attribute '") + name + "'");
  return values;
}

/// One of RunSummary's scalar fields (RunSummary::fields) as an attribute: enums by name,
/// ints as int32, the rest as their own type.
template <typename T>
void write_field(hid_t obj, const char* name, const T& value) {
  if constexpr (std::is_enum_v<T>) write_attr(obj, name, std::string(name_of(value)));
  else if constexpr (std::is_same_v<T, bool>) write_attr(obj, name, std::int32_t{value ? 1 : 0});
  else if constexpr (std::is_same_v<T, int>)
    write_attr(obj, name, static_cast<std::int32_t>(value));
  else write_attr(obj, name, value);
}
/// Reads what write_field wrote; FileError when it is missing or of another kind.
template <typename T>
void read_field(hid_t obj, const char* name, T& value) {
  if constexpr (std::is_enum_v<T>) {
    const std::string text = read_string_attr(obj, name);
    if (!from_name(text, value))
      throw FileError(std::string("attribute '") + name + "' has an unknown value '" + text + "'");
  } else if constexpr (std::is_same_v<T, std::string>) {
    value = read_string_attr(obj, name);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    value = read_strings_attr(obj, name);
  } else if constexpr (std::is_same_v<T, bool>) {
    value = read_attr<std::int32_t>(obj, name) != 0;
  } else {
    value = read_attr<T>(obj, name);
  }
}

/// Every attribute of `obj` as (name, text), sorted by name. Arrays read "[a, b]".
[[nodiscard]] Attributes attributes_as_text(hid_t obj);

// ---- groups ---------------------------------------------------------------------------------
[[nodiscard]] Hid create_group(hid_t parent, const std::string& name);
/// Opens `name`; FileError("missing group ...") when absent.
[[nodiscard]] Hid open_group(hid_t parent, const std::string& name);
[[nodiscard]] bool has_link(hid_t parent, const std::string& name);

// ---- small datasets (summary, balance, string tables): contiguous, written whole ----------
/// How a small dataset is written: `dxpl` for the transfer, and whether this process gives
/// the data (rank 0 of a parallel file; every other rank selects nothing).
struct Transfer {
  hid_t dxpl = H5P_DEFAULT;
  bool gives_data = true;
};

void write_table_raw(hid_t parent, const char* name, hid_t file_type, hid_t mem_type,
                     const void* data, hsize_t rows, hsize_t cols, const Transfer& t);

/// A 1-D dataset of `rows` values, or 2-D [rows, cols] when cols > 0 (row-major data).
/// Every process passes the same rows/cols; only data of a giving process is read.
template <typename T>
void write_table(hid_t parent, const char* name, const std::vector<T>& data, hsize_t rows,
                 hsize_t cols, const Transfer& t) {
  write_table_raw(parent, name, TypeOf<T>::file(), TypeOf<T>::memory(), data.data(), rows, cols, t);
}
template <typename T>
void write_table(hid_t parent, const char* name, const std::vector<T>& data, const Transfer& t) {
  write_table(parent, name, data, data.size(), 0, t);
}
/// A string table (format 2): group `name` with `offsets` (uint64, strings + 1 values from 0)
/// and `bytes` (uint8); string i is bytes [offsets[i], offsets[i + 1]). Any bytes, NUL too.
void write_string_pool(hid_t parent, const char* name, const std::vector<std::string>& strings,
                       const Transfer& t);

/// An open dataset whose declared shape and size were checked against the file.
struct CheckedDataset {
  Hid id;
  std::vector<hsize_t> dims;  ///< 1 or 2 dimensions
  std::size_t elements = 0;   ///< their product
};
/// What a dataset must hold.
enum class Holds { numbers, strings };
/// Opens dataset `name` and checks, before anything is read or allocated, that it is what a
/// column is and that the file can hold what it declares: a simple (not scalar) dataspace of
/// `min_rank` to `max_rank` dimensions, values of the kind `holds`, stored bytes within the
/// file's size, and every value stored (when filtered: at most kMaxDeflateRatio times the
/// stored bytes). FileError otherwise.
[[nodiscard]] CheckedDataset open_checked(hid_t parent, const char* name, Holds holds,
                                          int min_rank = 1, int max_rank = 1);
/// Deflate's best ratio is about 1032:1: a filtered dataset cannot hold more than this many
/// bytes per stored byte.
inline constexpr std::uint64_t kMaxDeflateRatio = 1100;

void read_table_raw(const CheckedDataset& d, hid_t mem_type, void* data);
/// Every value of a 1-D (or, when `cols` > 0, a 2-D [rows, cols]) numeric dataset,
/// converted to T (row-major), after open_checked.
template <typename T>
[[nodiscard]] std::vector<T> read_table(hid_t parent, const char* name, std::size_t cols = 0) {
  const CheckedDataset d =
      open_checked(parent, name, Holds::numbers, cols > 0 ? 2 : 1, cols > 0 ? 2 : 1);
  if (cols > 0 && d.dims[1] != cols)
    throw FileError(std::string("dataset '") + name + "' has " + std::to_string(d.dims[1]) +
                    " columns, not " + std::to_string(cols));
  std::vector<T> out(d.elements);
  read_table_raw(d, TypeOf<T>::memory(), out.data());
  return out;
}
/// A string table of format 1: a 1-D dataset of fixed-length strings (trailing NULs
/// dropped).
[[nodiscard]] std::vector<std::string> read_string_table(hid_t parent, const char* name);
/// A string table of format 2 (write_string_pool), its offsets checked against its bytes.
[[nodiscard]] std::vector<std::string> read_string_pool(hid_t parent, const char* name);

}  // namespace gorgon::h5::detail
