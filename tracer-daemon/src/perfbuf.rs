//! Records through per-CPU perf buffers: the `events` map as a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`
//! that generated code writes with `bpf_perf_event_output` (`-x bufmode=perf`, and kernels
//! before 5.8, which have no ring buffer).
//!
//! Each online CPU has a perf buffer of its own, mapped here. A poll waits on all of them at
//! once, then drains each; records reach the consumer CPU by CPU rather than in the order they
//! were written, as with DTrace's per-CPU buffers. A record that finds its CPU's buffer full is
//! lost, and the kernel says how many were with a `PERF_RECORD_LOST` record, which is counted
//! here per CPU.

use std::ops::ControlFlow;
use std::os::fd::AsRawFd as _;

use aya::maps::perf::{PerfEvent, PerfEventArray, PerfEventArrayBuffer};
use aya::maps::{Map, MapData};

use crate::error::EngineError;

/// The perf buffers of every online CPU, and the records each lost.
pub(crate) struct PerfRecords {
    /// `(cpu, buffer)` per online CPU.
    buffers: Vec<(u32, PerfEventArrayBuffer<MapData>)>,
    /// `(cpu, records lost)` per online CPU, in the same order.
    lost: Vec<(u32, u64)>,
    /// The bytes of one CPU's buffer.
    capacity: usize,
}

impl PerfRecords {
    /// Opens a perf buffer of at least `bufsize` bytes (a power-of-two number of pages) on every
    /// online CPU and puts it in `map`, the `events` perf event array named `name`.
    pub(crate) fn open(map: Map, name: &str, bufsize: usize) -> Result<PerfRecords, EngineError> {
        let mut array = PerfEventArray::try_from(map).map_err(|_: aya::maps::MapError| {
            EngineError::WrongMapType {
                map: name.to_owned(),
                expected: "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
            }
        })?;
        let page_count = pages(bufsize, page_size());
        let open_error = |message: String| EngineError::PerfBuffer {
            map: name.to_owned(),
            message,
        };
        let cpus = aya::util::online_cpus()
            .map_err(|(_, error)| open_error(format!("cannot list the online CPUs: {error}")))?;
        let mut buffers = Vec::with_capacity(cpus.len());
        for cpu in cpus {
            let buffer = array
                .open(cpu, Some(page_count))
                .map_err(|error| open_error(format!("CPU {cpu}: {error}")))?;
            buffers.push((cpu, buffer));
        }
        let lost = buffers.iter().map(|&(cpu, _)| (cpu, 0)).collect();
        Ok(PerfRecords {
            buffers,
            lost,
            capacity: page_count * page_size(),
        })
    }

    /// Waits up to `timeout_ms` for a buffer to have records, then hands every record to `sink`,
    /// CPU by CPU, and returns how many there were. At most one buffer's worth is taken from
    /// each CPU, so a call returns even when records come as fast as they go.
    pub(crate) fn poll(
        &mut self,
        timeout_ms: libc::c_int,
        sink: &mut dyn FnMut(&[u8]),
    ) -> std::io::Result<usize> {
        let mut pollfds: Vec<libc::pollfd> = self
            .buffers
            .iter()
            .map(|(_, buffer)| libc::pollfd {
                fd: buffer.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `pollfds` holds `pollfds.len()` valid `struct pollfd`s for the whole call.
        let result = unsafe {
            libc::poll(
                pollfds.as_mut_ptr(),
                pollfds.len() as libc::nfds_t,
                timeout_ms,
            )
        };
        if result < 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EINTR) {
                return Err(error);
            }
        }
        let mut n_records = 0;
        let mut record = Vec::new();
        for ((_, buffer), (_, lost)) in self.buffers.iter_mut().zip(&mut self.lost) {
            let mut consumed = 0;
            let _ = buffer.try_fold((), |(), event| {
                match event {
                    PerfEvent::Sample { head, tail } => {
                        record.clear();
                        record.extend_from_slice(head);
                        record.extend_from_slice(tail);
                        sink(&record);
                        n_records += 1;
                        consumed += record.len() + 16;
                    }
                    PerfEvent::Lost { count } => *lost += count,
                }
                if consumed >= self.capacity {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        }
        Ok(n_records)
    }

    /// `(cpu, records lost)` for every online CPU.
    pub(crate) fn lost(&self) -> &[(u32, u64)] {
        &self.lost
    }
}

pub(crate) fn page_size() -> usize {
    // SAFETY: `sysconf` has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// The pages of a perf buffer holding at least `bufsize` bytes: a power of two, at least one.
fn pages(bufsize: usize, page_size: usize) -> usize {
    bufsize.div_ceil(page_size).max(1).next_power_of_two()
}

/// Adds the perf buffers' lost records to the per-CPU drop counters `drops`.
pub(crate) fn add_lost(drops: &mut [(u32, u64)], lost: &[(u32, u64)]) {
    for &(cpu, count) in lost {
        if let Some((_, drops)) = drops.iter_mut().find(|(drop_cpu, _)| *drop_cpu == cpu) {
            *drops += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_a_power_of_two_pages() {
        assert_eq!(pages(4 << 20, 4096), 1024);
        assert_eq!(pages(5000, 4096), 2);
        assert_eq!(pages(3 * 4096, 4096), 4);
        assert_eq!(pages(0, 4096), 1);
    }

    #[test]
    fn lost_records_add_to_their_cpus_drops() {
        let mut drops = vec![(0, 1), (1, 0), (2, 5)];
        add_lost(&mut drops, &[(0, 3), (2, 1)]);
        assert_eq!(drops, [(0, 4), (1, 0), (2, 6)]);
    }
}
