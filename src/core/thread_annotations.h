#pragma once

// Clang's thread-safety attributes, so that `-Wthread-safety` (the
// clang-thread-safety preset) checks at compile time that guarded members are
// only touched with their mutex held. Other compilers see no-ops. Use them
// with orivon::Mutex (core/mutex.h): std::mutex in libstdc++ carries no
// annotations, so the analysis cannot follow it.
//
// The names follow clang's documentation ("Thread Safety Analysis") and
// Abseil's thread_annotations.h, with an ORIVON_ prefix.

#if defined(__clang__)
#define ORIVON_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ORIVON_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a mutex): `name` is used in the warnings.
#define ORIVON_CAPABILITY(name) ORIVON_THREAD_ANNOTATION(capability(name))
// An RAII type that holds a capability for its lifetime (MutexLock).
#define ORIVON_SCOPED_CAPABILITY ORIVON_THREAD_ANNOTATION(scoped_lockable)

// A data member that may only be read or written with `x` held.
#define ORIVON_GUARDED_BY(x) ORIVON_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee may only be touched with `x` held.
#define ORIVON_PT_GUARDED_BY(x) ORIVON_THREAD_ANNOTATION(pt_guarded_by(x))

// Lock ordering between mutexes (checked with -Wthread-safety-beta only).
#define ORIVON_ACQUIRED_BEFORE(...) ORIVON_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ORIVON_ACQUIRED_AFTER(...) ORIVON_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))

// A function the caller must call with the capabilities held (and which
// returns with them still held): the `*_locked()` helpers.
#define ORIVON_REQUIRES(...) ORIVON_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ORIVON_REQUIRES_SHARED(...) \
  ORIVON_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// A function the caller must call without the capabilities held (it takes
// them itself; holding one would deadlock).
#define ORIVON_EXCLUDES(...) ORIVON_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// A function that takes (or gives back) the capabilities; with no argument,
// the object it is a member of.
#define ORIVON_ACQUIRE(...) ORIVON_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ORIVON_ACQUIRE_SHARED(...) ORIVON_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define ORIVON_RELEASE(...) ORIVON_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ORIVON_RELEASE_SHARED(...) ORIVON_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// A function that tries to take the capability and returns `result` (true or
// false) when it did.
#define ORIVON_TRY_ACQUIRE(...) ORIVON_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))

// A function that checks at run time that the capability is held (the
// analysis then assumes it is).
#define ORIVON_ASSERT_CAPABILITY(x) ORIVON_THREAD_ANNOTATION(assert_capability(x))
// A function that returns a reference to the capability `x`.
#define ORIVON_RETURN_CAPABILITY(x) ORIVON_THREAD_ANNOTATION(lock_returned(x))

// Turns the analysis off for one function. Say why wherever it is used.
#define ORIVON_NO_THREAD_SAFETY_ANALYSIS ORIVON_THREAD_ANNOTATION(no_thread_safety_analysis)
