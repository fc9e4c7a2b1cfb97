// A hostile module for the Hostile.* tests: each `attacks` export tries one
// way out of its grants and returns true if it got through. Every path
// attack is made twice: through wasi-libc (which resolves preopens itself)
// and with the raw WASI call on the granted directory's descriptor, so the
// runtime, not the guest's libc, is what must refuse.
//
// The test grants /data (read-write) and /ro (read-only), and prepares:
//   outside/secret.txt          next to the granted directory, never granted
//   data/plain.txt, data/sub/   ordinary entries
//   data/link-file  -> outside/secret.txt (absolute)
//   data/link-dir   -> outside (absolute)
//   data/chain-1 -> chain-2 -> ../outside/secret.txt (relative)
//   data/inner-link -> plain.txt
//   ro/file.txt
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "hostile.h"

static uint32_t attacks_run = 0;

// The descriptor of the preopen named `name`, or -1.
static int preopen(const char* name) {
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t prestat;
    if (__wasi_fd_prestat_get(fd, &prestat) != 0) continue;
    char buffer[256];
    size_t length = prestat.u.dir.pr_name_len;
    if (length >= sizeof buffer) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)buffer, length) != 0) continue;
    buffer[length] = 0;
    if (strcmp(buffer, name) == 0) return (int)fd;
  }
  return -1;
}

// Whether libc opens `path` for reading.
static bool libc_opens(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// Whether the raw WASI open of `relative` in the preopen `dir` succeeds.
static bool raw_opens(const char* dir, const char* relative, bool follow) {
  int base = preopen(dir);
  if (base < 0) return false;
  __wasi_fd_t fd;
  __wasi_errno_t error =
      __wasi_path_open((__wasi_fd_t)base, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, relative,
                       0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
  if (error != 0) return false;
  (void)__wasi_fd_close(fd);
  return true;
}

// Either way in: libc with the full guest path, raw WASI relative to /data.
// An int, so attacks combine several with `|` and every one of them runs.
static int opens(const char* guest_path, const char* relative) {
  ++attacks_run;
  int escaped = libc_opens(guest_path);
  escaped |= raw_opens("/data", relative, true);
  escaped |= raw_opens("/data", relative, false);
  return escaped;
}

uint32_t exports_orivon_hostile_attacks_alive(void) { return attacks_run; }

bool exports_orivon_hostile_attacks_control_read(void) {
  return libc_opens("/data/plain.txt") && raw_opens("/data", "plain.txt", false) &&
         libc_opens("/ro/file.txt");
}

bool exports_orivon_hostile_attacks_control_write(void) {
  FILE* file = fopen("/data/written.txt", "w");
  if (!file) return false;
  bool ok = fputs("inside\n", file) >= 0;
  return fclose(file) == 0 && ok;
}

bool exports_orivon_hostile_attacks_control_env(void) {
  const char* value = getenv("ORIVON_HOSTILE_ALLOWED");
  return value != NULL && strcmp(value, "yes") == 0;
}

bool exports_orivon_hostile_attacks_control_inner_symlink(void) {
  return libc_opens("/data/inner-link") && raw_opens("/data", "inner-link", true);
}

bool exports_orivon_hostile_attacks_escape_dotdot(void) {
  return opens("/data/../outside/secret.txt", "../outside/secret.txt");
}

bool exports_orivon_hostile_attacks_escape_etc_passwd(void) {
  return opens("/data/../../etc/passwd", "../../etc/passwd") |
         opens("/data/../../../../../../../../etc/passwd", "../../../../../../../../etc/passwd");
}

bool exports_orivon_hostile_attacks_escape_absolute(void) {
  // libc finds no preopen for /etc; the raw call hands the absolute path to
  // the runtime as if it were relative to /data.
  return opens("/etc/passwd", "/etc/passwd") | opens("/", "/");
}

bool exports_orivon_hostile_attacks_escape_symlink_file(void) {
  return opens("/data/link-file", "link-file");
}

bool exports_orivon_hostile_attacks_escape_symlink_dir(void) {
  return opens("/data/link-dir/secret.txt", "link-dir/secret.txt") |
         opens("/data/link-dir", "link-dir");
}

bool exports_orivon_hostile_attacks_escape_symlink_chain(void) {
  return opens("/data/chain-1", "chain-1");
}

bool exports_orivon_hostile_attacks_escape_dot_dotdot(void) {
  return opens("/data/./../outside/secret.txt", "./../outside/secret.txt") |
         opens("/data/./..", "./..");
}

bool exports_orivon_hostile_attacks_escape_trailing_slash(void) {
  return opens("/data/../", "../") | opens("/data/..//outside/secret.txt", "..//outside/secret.txt") |
         opens("/data/../outside/", "../outside/") | opens("/data//..", ".//..");
}

bool exports_orivon_hostile_attacks_escape_percent_encoded(void) {
  // Literal names: nothing decodes them, and no such entry exists.
  return opens("/data/%2e%2e/outside/secret.txt", "%2e%2e/outside/secret.txt") |
         opens("/data/%2E%2E%2Foutside%2Fsecret.txt", "%2E%2E%2Foutside%2Fsecret.txt") |
         opens("/data/..%2foutside%2fsecret.txt", "..%2foutside%2fsecret.txt");
}

bool exports_orivon_hostile_attacks_escape_through_file(void) {
  return opens("/data/plain.txt/../../outside/secret.txt", "plain.txt/../../outside/secret.txt");
}

bool exports_orivon_hostile_attacks_escape_subdir_dotdot(void) {
  return opens("/data/sub/../../outside/secret.txt", "sub/../../outside/secret.txt") |
         opens("/data/sub/../sub/../../outside/secret.txt", "sub/../sub/../../outside/secret.txt");
}

bool exports_orivon_hostile_attacks_escape_rename_out(void) {
  ++attacks_run;
  bool escaped = rename("/data/movable.txt", "/data/../outside/moved.txt") == 0;
  int base = preopen("/data");
  if (base >= 0) {
    escaped |= __wasi_path_rename((__wasi_fd_t)base, "movable.txt", (__wasi_fd_t)base,
                                  "../outside/moved.txt") == 0;
    escaped |= __wasi_path_rename((__wasi_fd_t)base, "movable.txt", (__wasi_fd_t)base,
                                  "/tmp/orivon-hostile-moved.txt") == 0;
    escaped |= __wasi_path_rename((__wasi_fd_t)base, "link-dir", (__wasi_fd_t)base,
                                  "../outside/moved-link") == 0;
  }
  return escaped;
}

bool exports_orivon_hostile_attacks_escape_hard_link_out(void) {
  ++attacks_run;
  bool escaped = link("/data/plain.txt", "/data/../outside/hard.txt") == 0;
  int base = preopen("/data");
  if (base >= 0) {
    escaped |= __wasi_path_link((__wasi_fd_t)base, 0, "plain.txt", (__wasi_fd_t)base,
                                "../outside/hard.txt") == 0;
  }
  return escaped;
}

bool exports_orivon_hostile_attacks_escape_hard_link_in(void) {
  ++attacks_run;
  bool escaped = link("/data/../outside/secret.txt", "/data/stolen.txt") == 0;
  int base = preopen("/data");
  if (base >= 0) {
    escaped |= __wasi_path_link((__wasi_fd_t)base, 0, "../outside/secret.txt", (__wasi_fd_t)base,
                                "stolen.txt") == 0;
    // A hard link through a symlink to outside, following it.
    escaped |= __wasi_path_link((__wasi_fd_t)base, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link-file",
                                (__wasi_fd_t)base, "stolen-2.txt") == 0;
  }
  escaped |= libc_opens("/data/stolen.txt") || libc_opens("/data/stolen-2.txt");
  return escaped;
}

bool exports_orivon_hostile_attacks_escape_made_symlink(void) {
  // Creating a symlink may or may not be refused; following it out must be.
  (void)symlink("/etc/passwd", "/data/made-absolute");
  (void)symlink("../outside/secret.txt", "/data/made-relative");
  int base = preopen("/data");
  if (base >= 0) {
    (void)__wasi_path_symlink("../../../../etc/passwd", (__wasi_fd_t)base, "made-deep");
  }
  return opens("/data/made-absolute", "made-absolute") |
         opens("/data/made-relative", "made-relative") | opens("/data/made-deep", "made-deep");
}

bool exports_orivon_hostile_attacks_escape_list_parent(void) {
  ++attacks_run;
  bool escaped = false;
  const char* parents[] = {"/data/..", "/data/../outside", "/data/link-dir", "/data/sub/../.."};
  for (size_t i = 0; i < sizeof parents / sizeof *parents; ++i) {
    DIR* dir = opendir(parents[i]);
    if (dir) {
      escaped = true;
      closedir(dir);
    }
  }
  return escaped;
}

bool exports_orivon_hostile_attacks_write_read_only_file(void) {
  ++attacks_run;
  bool escaped = false;
  int fd = open("/ro/file.txt", O_WRONLY | O_APPEND);
  if (fd >= 0) {
    escaped |= write(fd, "x", 1) == 1;
    close(fd);
  }
  fd = open("/ro/file.txt", O_RDWR);
  if (fd >= 0) {
    escaped |= write(fd, "x", 1) == 1;
    close(fd);
  }
  escaped |= truncate("/ro/file.txt", 0) == 0;
  int base = preopen("/ro");
  if (base >= 0) {
    __wasi_fd_t raw;
    if (__wasi_path_open((__wasi_fd_t)base, 0, "file.txt", __WASI_OFLAGS_TRUNC,
                         __WASI_RIGHTS_FD_WRITE, 0, 0, &raw) == 0) {
      escaped = true;
      (void)__wasi_fd_close(raw);
    }
  }
  return escaped;
}

bool exports_orivon_hostile_attacks_create_in_read_only(void) {
  ++attacks_run;
  int fd = open("/ro/new.txt", O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

bool exports_orivon_hostile_attacks_remove_in_read_only(void) {
  ++attacks_run;
  return unlink("/ro/file.txt") == 0;
}

bool exports_orivon_hostile_attacks_mkdir_in_read_only(void) {
  ++attacks_run;
  return mkdir("/ro/newdir", 0755) == 0;
}

bool exports_orivon_hostile_attacks_rename_in_read_only(void) {
  ++attacks_run;
  return rename("/ro/file.txt", "/ro/renamed.txt") == 0 ||
         rename("/ro/file.txt", "/data/taken.txt") == 0;
}

extern char** environ;

bool exports_orivon_hostile_attacks_read_ungranted_env(void) {
  ++attacks_run;
  if (getenv("ORIVON_HOSTILE_SECRET") != NULL || getenv("HOME") != NULL ||
      getenv("PATH") != NULL) {
    return true;
  }
  // Anything beyond the one granted variable is a leak.
  size_t count = 0;
  for (char** entry = environ; entry && *entry; ++entry) ++count;
  return count != 1;
}

bool exports_orivon_hostile_attacks_call_ungranted_function(void) {
  ++attacks_run;
  hostile_string_t ret, err;
  bool ok = orivon_hostile_victim_secret(&ret, &err);
  if (ok) {
    hostile_string_free(&ret);
  } else {
    hostile_string_free(&err);
  }
  return ok;
}

uint32_t exports_orivon_hostile_attacks_call_ungranted_function_trap(void) {
  ++attacks_run;
  return orivon_hostile_victim_wipe();  // a denial traps here
}

bool exports_orivon_hostile_attacks_call_ungranted_host_function(void) {
  ++attacks_run;
  hostile_string_t ret, err;
  bool ok = orivon_hostile_host_secrets_read_secret(&ret, &err);
  if (ok) {
    hostile_string_free(&ret);
  } else {
    hostile_string_free(&err);
  }
  return ok;
}

uint32_t exports_orivon_hostile_attacks_call_ungranted_host_function_trap(void) {
  ++attacks_run;
  return orivon_hostile_host_secrets_peek();  // a denial traps here
}
