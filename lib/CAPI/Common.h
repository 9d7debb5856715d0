//===- Common.h - Helpers of the C API --------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_LIB_CAPI_COMMON_H
#define FP4_LIB_CAPI_COMMON_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace fp4::capi {

/// A malloc'ed copy of `message` (the C API's error convention).
inline char *makeCString(llvm::StringRef message) {
  char *result = static_cast<char *>(std::malloc(message.size() + 1));
  if (!result)
    return nullptr;
  std::memcpy(result, message.data(), message.size());
  result[message.size()] = '\0';
  return result;
}

inline char *makeErrorString(const llvm::Twine &message) {
  std::string text = message.str();
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  return makeCString(text);
}

inline char *takeErrorString(llvm::Error error) {
  return makeErrorString(llvm::toString(std::move(error)));
}

/// Runs `body` (returning char *). The project is built like LLVM, without
/// exceptions: every failure is an llvm::Error turned into a string.
template <typename Fn> char *guard(Fn &&body) { return body(); }

} // namespace fp4::capi

#endif // FP4_LIB_CAPI_COMMON_H
