//! The one function every `bpf(2)` call the engine makes itself goes through.
//!
//! aya makes most calls (loading, attaching, ring buffers). The engine calls `bpf(2)` directly
//! only for map elements, because its keys and values are byte strings whose sizes are known at
//! run time, which aya's typed maps cannot express.
//!
//! Under `cfg(test)`, [`bpf`] calls a thread-local fake instead of the kernel, so unit tests can
//! drive the map code without privileges; tests install one with [`fake::override_bpf`].

use std::io;

use aya::sys::SyscallError;
use aya_obj::generated::{bpf_attr, bpf_cmd};

/// Calls `bpf(cmd, attr)`.
///
/// # Safety
///
/// Every pointer in `attr` that `cmd` reads or writes must be valid for the sizes the kernel
/// uses for that command (for map elements: the map's key and value sizes).
pub(crate) unsafe fn bpf(
    call: &'static str,
    cmd: bpf_cmd,
    attr: &mut bpf_attr,
) -> Result<i64, SyscallError> {
    #[cfg(test)]
    let result = fake::call(cmd, attr);
    #[cfg(not(test))]
    // SAFETY: the caller guarantees the pointers in `attr`; `attr` itself is valid for its size.
    let result = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            std::ptr::from_mut(attr),
            size_of::<bpf_attr>(),
        )
    };
    if result < 0 {
        return Err(SyscallError {
            call,
            io_error: io::Error::last_os_error(),
        });
    }
    Ok(result)
}

/// Calls `perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)`.
///
/// # Safety
///
/// Every pointer `attr` holds (a uprobe's path in `config1`) must be valid for the call.
pub(crate) unsafe fn perf_event_open(
    attr: &mut aya_obj::generated::perf_event_attr,
    pid: i32,
    cpu: i32,
) -> Result<std::os::fd::OwnedFd, SyscallError> {
    use std::os::fd::FromRawFd as _;

    #[cfg(test)]
    let result: libc::c_long = {
        let _ = (attr, pid, cpu);
        // SAFETY: `__errno_location` returns this thread's errno.
        unsafe { *libc::__errno_location() = libc::ENOSYS };
        -1
    };
    #[cfg(not(test))]
    // SAFETY: `attr` is a valid `perf_event_attr` and its pointers are valid, as the caller
    // guarantees.
    let result = unsafe {
        /// `PERF_FLAG_FD_CLOEXEC`.
        const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
        libc::syscall(
            libc::SYS_perf_event_open,
            std::ptr::from_mut(attr),
            pid,
            cpu,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if result < 0 {
        return Err(SyscallError {
            call: "perf_event_open",
            io_error: io::Error::last_os_error(),
        });
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(result as i32) })
}

#[cfg(test)]
pub(crate) mod fake {
    //! The fake kernel unit tests install.

    use std::cell::RefCell;

    use aya_obj::generated::{bpf_attr, bpf_cmd};

    /// A fake `bpf(2)`: returns the syscall's result, or `-errno` for an error.
    pub(crate) type FakeBpf = Box<dyn FnMut(bpf_cmd, &mut bpf_attr) -> i64>;

    thread_local! {
        static FAKE_BPF: RefCell<Option<FakeBpf>> = const { RefCell::new(None) };
    }

    /// Makes [`super::bpf`] call `fake` on this thread until the test ends.
    pub(crate) fn override_bpf(fake: FakeBpf) {
        FAKE_BPF.with(|cell| *cell.borrow_mut() = Some(fake));
    }

    /// Runs the installed fake; without one, every call fails with `ENOSYS`.
    pub(super) fn call(cmd: bpf_cmd, attr: &mut bpf_attr) -> libc::c_long {
        let result = FAKE_BPF.with(|cell| match cell.borrow_mut().as_mut() {
            Some(fake) => fake(cmd, attr),
            None => -i64::from(libc::ENOSYS),
        });
        if result < 0 {
            // SAFETY: `__errno_location` returns this thread's errno.
            unsafe { *libc::__errno_location() = (-result) as i32 };
            return -1;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_call_name_and_errno() {
        fake::override_bpf(Box::new(|_, _| -i64::from(libc::EPERM)));
        // SAFETY: all zeroes is a valid `bpf_attr`.
        let mut attr = unsafe { std::mem::zeroed() };
        // SAFETY: the fake reads no pointers.
        let error = unsafe {
            bpf(
                "bpf_map_update_elem",
                bpf_cmd::BPF_MAP_UPDATE_ELEM,
                &mut attr,
            )
        }
        .expect_err("the fake fails");
        assert_eq!(error.to_string(), "`bpf_map_update_elem` failed");
        assert_eq!(error.io_error.raw_os_error(), Some(libc::EPERM));
    }

    #[test]
    fn without_a_fake_tests_never_reach_the_kernel() {
        // SAFETY: all zeroes is a valid `bpf_attr`.
        let mut attr = unsafe { std::mem::zeroed() };
        // SAFETY: no fake is installed on this thread, so nothing is read.
        let error = unsafe {
            bpf(
                "bpf_map_lookup_elem",
                bpf_cmd::BPF_MAP_LOOKUP_ELEM,
                &mut attr,
            )
        }
        .expect_err("no fake");
        assert_eq!(error.io_error.raw_os_error(), Some(libc::ENOSYS));
    }
}
