#pragma once

// Objects left for the process's exit to take back. A host that exits right
// after stopping (`orivon up`) need not free 100,000 instances' memory and
// compiled code piece by piece: the kernel takes the whole address space
// back at exit in one go, far faster than each munmap with its TLB
// shootdowns.

#include <new>
#include <utility>
#include <vector>

namespace orivon {

// Moves `objects` where nothing frees them, and leaves `objects` empty.
// Without the memory for that (a vector's few bytes), `objects` keeps them,
// to be freed as usual.
template <typename T>
void leave_to_exit(std::vector<T>&& objects) noexcept {
  try {
    (void)new std::vector<T>(std::move(objects));  // never freed, on purpose
  } catch (const std::bad_alloc&) {
  }
}

}  // namespace orivon
