// LZF, the compression RDB files use for long strings (written from the format's
// description):
//   000LLLLL                       a literal run of L+1 bytes follows (1..32)
//   LLLooooo oooooooo              a back-reference: copy L+2 bytes from o+1 bytes back
//   111ooooo LLLLLLLL oooooooo     the same with length 7+L+2 (up to 264 bytes)
// Back-references reach at most 8192 bytes and may overlap the bytes they produce.
#pragma once

#include <cstddef>

namespace terndb::storage::lzf {

// Compresses into out (capacity out_cap); returns the compressed size, or 0 when the
// result would not fit (the caller then stores the input uncompressed).
size_t compress(const void* in, size_t in_len, void* out, size_t out_cap);
// Decompresses into out (capacity out_cap); returns the decompressed size, or 0 when the
// input is malformed or does not fit.
size_t decompress(const void* in, size_t in_len, void* out, size_t out_cap);

}  // namespace terndb::storage::lzf
