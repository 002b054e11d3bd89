#include "gorgon/h5/io.hpp"

#include "gorgon/h5/format.hpp"

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

/// The most bytes one string value may take (a damaged type can declare gigabytes).
constexpr std::size_t kMaxStringSize = std::size_t{1} << 24;

/// Drops the NUL padding of a fixed-length string (bytes before it are kept, NULs too).
std::string unpadded(const char* s, std::size_t size) {
  while (size > 0 && s[size - 1] == '\0') --size;
  return std::string(s, size);
}

/// Reads `n` strings of an attribute or dataset of string type `file_type` via `read`
/// (called with the memory type and the buffer). A fixed-length type is checked against
/// `stored` (the bytes the attribute or dataset holds) before its buffer is allocated.
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, std::size_t n, hsize_t stored, Read&& read) {
  if (H5Tget_class(file_type) != H5T_STRING) throw FileError("not a string");
  std::vector<std::string> out;
  if (n == 0) return out;
  if (H5Tis_variable_str(file_type) > 0) {  // format 1: the values are in the global heap
    Hid mem = string_type(true, 0);
    std::vector<char*> ptrs(n, nullptr);
    check(read(mem.get(), ptrs.data()), "cannot read strings");
    out.reserve(n);
    for (char* p : ptrs) {
      out.emplace_back(p != nullptr ? p : "");
      H5free_memory(p);
    }
    return out;
  }
  const std::size_t size = H5Tget_size(file_type);
  std::size_t bytes = 0;
  if (size == 0 || size > kMaxStringSize || __builtin_mul_overflow(n, size, &bytes) ||
      bytes > stored)
    throw FileError("its strings declare " + std::to_string(n) + " x " + std::to_string(size) +
                    " bytes but it holds " + std::to_string(stored));
  Hid mem = string_type(false, size);
  std::vector<char> buf(bytes + 1, '\0');
  check(read(mem.get(), buf.data()), "cannot read strings");
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(unpadded(buf.data() + i * size, size));
  return out;
}

/// The full path of an open object ("/runs/000/calls/label"), or `fallback`.
std::string path_of(hid_t obj, const char* fallback) {
  char buf[512] = {};
  const ssize_t n = H5Iget_name(obj, buf, sizeof buf);
  return n > 0 && static_cast<std::size_t>(n) < sizeof buf
             ? std::string(buf, static_cast<std::size_t>(n))
             : std::string(fallback);
}

/// Bytes the file holds, as HDF5 sees it.
hsize_t file_size_of(hid_t obj) {
  Hid file = check_id(H5Iget_file_id(obj), "H5Iget_file_id");
  hsize_t size = 0;
  check(H5Fget_filesize(file.get(), &size), "H5Fget_filesize");
  return size;
}

/// FileError unless `stored` bytes can hold `elements` values of `value_size` bytes in
/// a file of `file_size` bytes (filtered: compressed at most kMaxDeflateRatio to 1).
void check_held(const std::string& what, hsize_t elements, std::size_t value_size, hsize_t stored,
                bool filtered, hsize_t file_size) {
  hsize_t bytes = 0;
  const bool overflow = __builtin_mul_overflow(elements, hsize_t{value_size}, &bytes);
  const hsize_t can_hold = filtered ? stored * kMaxDeflateRatio : stored;
  if (overflow || stored > file_size || bytes > can_hold)
    throw FileError(what + " declares " + std::to_string(elements) + " values of " +
                    std::to_string(value_size) + " bytes, more than its " + std::to_string(stored) +
                    " stored bytes can hold (the file has " + std::to_string(file_size) + ")");
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
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (points < 0) throw FileError("no extent");
    const auto n = static_cast<std::size_t>(points);
    const bool array = H5Sget_simple_extent_ndims(space.get()) > 0;
    std::string text;
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_STRING) {
      auto strings =
          read_strings(type.get(), n, H5Aget_storage_size(attr.get()),
                       [&](hid_t mem, void* buf) { return H5Aread(attr.get(), mem, buf); });
      for (std::size_t i = 0; i < strings.size(); ++i) text += (i ? ", " : "") + strings[i];
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
      check_attr_storage(attr.get(), type.get(), n, name);
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

namespace {

/// Fixed-length strings, as long as the longest: a scalar or a 1-D array.
void write_strings_attr(hid_t obj, const char* name, const std::vector<std::string>& values,
                        bool scalar) {
  std::size_t size = 1;
  for (const auto& v : values) size = std::max(size, v.size());
  Hid type = string_type(false, size);
  const hsize_t n = values.size();
  Hid space =
      check_id(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), "H5Screate");
  Hid attr = check_id(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      std::string("cannot create attribute '") + name + "'");
  if (values.empty()) return;  // an empty array: nothing to write (and no buffer to give)
  std::vector<char> buf(values.size() * size, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(buf.data() + i * size, values[i].data(), values[i].size());
  check(H5Awrite(attr.get(), type.get(), buf.data()),
        std::string("cannot write attribute '") + name + "'");
}

}  // namespace

void write_attr(hid_t obj, const char* name, const std::string& value) {
  write_strings_attr(obj, name, {value}, true);
}

void write_attr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  write_strings_attr(obj, name, values, false);
}

void check_attr_storage(hid_t attr, hid_t type, hsize_t n, const char* name) {
  const std::size_t size = H5Tget_size(type);
  hsize_t bytes = 0;
  if (size == 0 || __builtin_mul_overflow(n, hsize_t{size}, &bytes) ||
      H5Aget_storage_size(attr) != bytes)
    throw FileError(std::string("attribute '") + name + "' is damaged (its size and its " +
                    "storage disagree)");
}

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

std::vector<std::string> read_strings_attr(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) throw FileError(std::string("attribute '") + name + "' is missing");
  Hid attr = check_id(H5Aopen(obj, name, H5P_DEFAULT),
                      std::string("cannot open attribute '") + name + "'");
  Hid type = check_id(H5Aget_type(attr.get()), "H5Aget_type");
  Hid space = check_id(H5Aget_space(attr.get()), "H5Aget_space");
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) throw FileError(std::string("attribute '") + name + "' has no extent");
  const auto n = static_cast<std::size_t>(points);
  try {
    return read_strings(type.get(), n, H5Aget_storage_size(attr.get()),
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
  Hid dset = check_id(
      H5Dcreate2(parent, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      std::string("cannot create dataset '") + name + "'");
  if (rows == 0 || (rank == 2 && cols == 0)) return;
  Hid mem = check_id(H5Scopy(space.get()), "H5Scopy");
  if (!t.gives_data) {
    check(H5Sselect_none(space.get()), "H5Sselect_none");
    check(H5Sselect_none(mem.get()), "H5Sselect_none");
  }
  static const std::uint64_t dummy = 0;
  check(
      H5Dwrite(dset.get(), mem_type, mem.get(), space.get(), t.dxpl, t.gives_data ? data : &dummy),
      std::string("cannot write dataset '") + name + "'");
}

void write_string_pool(hid_t parent, const char* name, const std::vector<std::string>& strings,
                       const Transfer& t) {
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint8_t> bytes;
  for (const auto& s : strings) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    offsets.push_back(bytes.size());
  }
  Hid group = create_group(parent, name);
  write_table(group.get(), format::kPoolOffsets, offsets, t);
  write_table(group.get(), format::kPoolBytes, bytes, t);
}

CheckedDataset open_checked(hid_t parent, const char* name, Holds holds, int min_rank,
                            int max_rank) {
  std::string what = std::string("dataset '") + name + "'";
  if (!has_link(parent, name)) throw FileError(what + " is missing");
  CheckedDataset d;
  d.id = check_id(H5Dopen2(parent, name, H5P_DEFAULT), "cannot open " + what);
  what = "dataset '" + path_of(d.id.get(), name) + "'";
  Hid space = check_id(H5Dget_space(d.id.get()), "H5Dget_space");
  if (H5Sget_simple_extent_type(space.get()) != H5S_SIMPLE)
    throw FileError(what + " is a scalar, not a column");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < min_rank || rank > max_rank)
    throw FileError(what + " has " + std::to_string(rank) + " dimensions, not " +
                    std::to_string(max_rank));
  d.dims.resize(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space.get(), d.dims.data(), nullptr),
        "H5Sget_simple_extent_dims");
  hsize_t elements = 1;
  for (hsize_t dim : d.dims)
    if (__builtin_mul_overflow(elements, dim, &elements))
      throw FileError(what + " declares more values than can be counted");
  Hid type = check_id(H5Dget_type(d.id.get()), "H5Dget_type");
  const H5T_class_t cls = H5Tget_class(type.get());
  const bool fits =
      holds == Holds::strings ? cls == H5T_STRING : cls == H5T_INTEGER || cls == H5T_FLOAT;
  if (!fits)
    throw FileError(what + (holds == Holds::strings ? " is not strings" : " is not numbers"));
  if (H5Tis_variable_str(type.get()) <= 0) {  // variable-length values live elsewhere
    Hid dcpl = check_id(H5Dget_create_plist(d.id.get()), "H5Dget_create_plist");
    check_held(what, elements, H5Tget_size(type.get()), H5Dget_storage_size(d.id.get()),
               H5Pget_nfilters(dcpl.get()) > 0, file_size_of(d.id.get()));
  }
  d.elements = static_cast<std::size_t>(elements);
  return d;
}

void read_table_raw(const CheckedDataset& d, hid_t mem_type, void* data) {
  if (d.elements == 0) return;
  check(H5Dread(d.id.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
        "cannot read a dataset");
}

std::vector<std::string> read_string_table(hid_t parent, const char* name) {
  const CheckedDataset d = open_checked(parent, name, Holds::strings);
  if (d.elements == 0) return {};
  Hid type = check_id(H5Dget_type(d.id.get()), "H5Dget_type");
  try {
    return read_strings(type.get(), d.elements, H5Dget_storage_size(d.id.get()),
                        [&](hid_t mem, void* buf) {
                          return H5Dread(d.id.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                        });
  } catch (const FileError& e) {
    throw FileError(std::string("dataset '") + name + "': " + e.what());
  }
}

std::vector<std::string> read_string_pool(hid_t parent, const char* name) {
  Hid group = open_group(parent, name);
  const auto offsets = read_table<std::uint64_t>(group.get(), format::kPoolOffsets);
  const auto bytes = read_table<std::uint8_t>(group.get(), format::kPoolBytes);
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != bytes.size() ||
      !std::is_sorted(offsets.begin(), offsets.end()))
    throw FileError(std::string("the string table '") + name + "' has offsets out of order " +
                    "or past its bytes");
  std::vector<std::string> out;
  out.reserve(offsets.size() - 1);
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i)
    out.emplace_back(reinterpret_cast<const char*>(bytes.data()) + offsets[i],
                     offsets[i + 1] - offsets[i]);
  return out;
}

}  // namespace gorgon::h5::detail
