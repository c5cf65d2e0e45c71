// SHA-256 (FIPS 180-4), used to fingerprint the benchmark binary in the ledger.
#pragma once

#include <string>
#include <string_view>

namespace hmb {

std::string sha256_hex(std::string_view data);
// Hex digest of a file's bytes; throws std::runtime_error when unreadable.
std::string sha256_file(const std::string& path);

}  // namespace hmb
