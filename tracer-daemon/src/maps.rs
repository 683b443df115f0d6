//! Byte-level access to any map in the object: keys and values are byte strings.
//!
//! Generated code decides map key and value sizes at compile time of the D program, so userspace
//! cannot name them as Rust types, which aya's typed maps (`HashMap<K, V>`, `PerCpuArray<V>`)
//! require. [`RawMap`] asks the kernel for the sizes instead, checks every buffer against them,
//! and makes the element syscalls through [`crate::sys::bpf`].

use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd};

use aya::Ebpf;
use aya::maps::{Map, MapData, MapType};
use aya_obj::generated::{
    bpf_attr, bpf_attr__bindgen_ty_2, bpf_attr__bindgen_ty_2__bindgen_ty_1, bpf_cmd,
};

use crate::error::EngineError;
use crate::sys;

/// `BPF_ANY`: create or update.
pub(crate) const BPF_ANY: u64 = 0;

/// One map, with the sizes the kernel reports for it.
#[derive(Debug)]
pub(crate) struct RawMap<'a> {
    name: &'a str,
    fd: BorrowedFd<'a>,
    key_size: usize,
    value_size: usize,
    /// How many per-CPU values each element has: the possible CPUs for per-CPU maps, else 1.
    n_slots: usize,
    max_entries: u32,
}

impl<'a> RawMap<'a> {
    /// Opens `name` in `ebpf`.
    pub(crate) fn open(ebpf: &'a Ebpf, name: &'a str) -> Result<RawMap<'a>, EngineError> {
        let Some(map) = ebpf.map(name) else {
            return Err(EngineError::MissingMap {
                map: name.to_owned(),
            });
        };
        let map_data = map_data(map);
        let info_error = |source| EngineError::MapInfo {
            map: name.to_owned(),
            source: Box::new(source),
        };
        let info = map_data.info().map_err(info_error)?;
        let map_type = info.map_type().map_err(info_error)?;
        let per_cpu = matches!(
            map_type,
            MapType::PerCpuHash | MapType::PerCpuArray | MapType::LruPerCpuHash
        );
        let n_slots = if per_cpu { possible_cpus()? } else { 1 };
        Ok(RawMap {
            name,
            fd: map_data.fd().as_fd(),
            key_size: info.key_size() as usize,
            value_size: info.value_size() as usize,
            n_slots,
            max_entries: info.max_entries(),
        })
    }

    /// The map's value size (one CPU's value for per-CPU maps).
    pub(crate) fn value_size(&self) -> usize {
        self.value_size
    }

    /// The map's key size.
    pub(crate) fn key_size(&self) -> usize {
        self.key_size
    }

    /// Bytes between two CPUs' values in a per-CPU buffer: the kernel rounds up to 8.
    fn stride(&self) -> usize {
        if self.n_slots == 1 {
            self.value_size
        } else {
            self.value_size.next_multiple_of(8)
        }
    }

    /// Writes one element. For per-CPU maps, `value` is one CPU's value and every CPU gets it.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), EngineError> {
        self.check_key(key)?;
        if value.len() != self.value_size {
            return Err(EngineError::ValueSize {
                map: self.name.to_owned(),
                size: value.len(),
                expected: self.value_size,
            });
        }
        let mut buffer = vec![0u8; self.stride() * self.n_slots];
        for slot in buffer.chunks_exact_mut(self.stride()) {
            slot[..value.len()].copy_from_slice(value);
        }
        let mut attr = self.elem_attr(key.as_ptr(), buffer.as_mut_ptr(), flags);
        // SAFETY: `key` has the map's key size and `buffer` the map's full value size.
        let result = unsafe {
            sys::bpf(
                "bpf_map_update_elem",
                bpf_cmd::BPF_MAP_UPDATE_ELEM,
                &mut attr,
            )
        };
        match result {
            Ok(_) => Ok(()),
            Err(source) => Err(self.access_error(source)),
        }
    }

    /// Reads one element: every CPU's value, in CPU order, or `None` when the key is absent.
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Option<Vec<Vec<u8>>>, EngineError> {
        self.check_key(key)?;
        let mut buffer = vec![0u8; self.stride() * self.n_slots];
        let mut attr = self.elem_attr(key.as_ptr(), buffer.as_mut_ptr(), 0);
        // SAFETY: `key` has the map's key size and `buffer` the map's full value size.
        let result = unsafe {
            sys::bpf(
                "bpf_map_lookup_elem",
                bpf_cmd::BPF_MAP_LOOKUP_ELEM,
                &mut attr,
            )
        };
        match result {
            Ok(_) => Ok(Some(
                buffer
                    .chunks_exact(self.stride())
                    .map(|slot| slot[..self.value_size].to_vec())
                    .collect(),
            )),
            Err(source) if source.io_error.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(source) => Err(self.access_error(source)),
        }
    }

    /// Deletes one element (every CPU's value of it); an absent key is not an error.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), EngineError> {
        self.check_key(key)?;
        let mut attr = self.elem_attr(key.as_ptr(), std::ptr::null_mut(), 0);
        // SAFETY: `key` has the map's key size; the command reads no value.
        let result = unsafe {
            sys::bpf(
                "bpf_map_delete_elem",
                bpf_cmd::BPF_MAP_DELETE_ELEM,
                &mut attr,
            )
        };
        match result {
            Ok(_) => Ok(()),
            Err(source) if source.io_error.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            Err(source) => Err(self.access_error(source)),
        }
    }

    /// Every key in the map, in the kernel's iteration order.
    pub(crate) fn keys(&self) -> Result<Vec<Vec<u8>>, EngineError> {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        // A map changing under the walk can restart it; never walk more than it can hold.
        while keys.len() <= self.max_entries as usize {
            let mut next_key = vec![0u8; self.key_size];
            let key = keys.last().map_or(std::ptr::null(), Vec::as_ptr);
            let mut attr = self.elem_attr(key, next_key.as_mut_ptr(), 0);
            // SAFETY: `key` is null or a previous key, and `next_key` has the map's key size.
            let result = unsafe {
                sys::bpf(
                    "bpf_map_get_next_key",
                    bpf_cmd::BPF_MAP_GET_NEXT_KEY,
                    &mut attr,
                )
            };
            match result {
                Ok(_) => keys.push(next_key),
                Err(source) if source.io_error.raw_os_error() == Some(libc::ENOENT) => break,
                Err(source) => return Err(self.access_error(source)),
            }
        }
        Ok(keys)
    }

    fn check_key(&self, key: &[u8]) -> Result<(), EngineError> {
        if key.len() != self.key_size {
            return Err(EngineError::KeySize {
                map: self.name.to_owned(),
                size: key.len(),
                expected: self.key_size,
            });
        }
        Ok(())
    }

    /// The attribute of the element commands; `value` is `next_key` for `BPF_MAP_GET_NEXT_KEY`.
    fn elem_attr(&self, key: *const u8, value: *mut u8, flags: u64) -> bpf_attr {
        // SAFETY: `bpf_attr` is plain data, and all zeroes is what the kernel expects in every
        // field a command does not use.
        let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
        attr.__bindgen_anon_2 = bpf_attr__bindgen_ty_2 {
            map_fd: self.fd.as_raw_fd() as u32,
            key: key as u64,
            __bindgen_anon_1: bpf_attr__bindgen_ty_2__bindgen_ty_1 {
                value: value as u64,
            },
            flags,
        };
        attr
    }

    fn access_error(&self, source: aya::sys::SyscallError) -> EngineError {
        EngineError::MapAccess {
            map: self.name.to_owned(),
            source,
        }
    }
}

/// The number of possible CPUs: how many values a per-CPU map element has.
pub(crate) fn possible_cpus() -> Result<usize, EngineError> {
    aya::util::nr_cpus().map_err(|(path, io_error)| EngineError::Cpus { path, io_error })
}

/// The map's fd and kernel object; aya keeps this accessor private.
pub(crate) fn map_data(map: &Map) -> &MapData {
    match map {
        Map::Array(data)
        | Map::ArrayOfMaps(data)
        | Map::BloomFilter(data)
        | Map::CgroupArray(data)
        | Map::CgroupStorage(data)
        | Map::CgrpStorage(data)
        | Map::CpuMap(data)
        | Map::DevMap(data)
        | Map::DevMapHash(data)
        | Map::HashMap(data)
        | Map::HashOfMaps(data)
        | Map::InodeStorage(data)
        | Map::LpmTrie(data)
        | Map::LruHashMap(data)
        | Map::PerCpuArray(data)
        | Map::PerCpuCgroupStorage(data)
        | Map::PerCpuHashMap(data)
        | Map::PerCpuLruHashMap(data)
        | Map::PerfEventArray(data)
        | Map::ProgramArray(data)
        | Map::Queue(data)
        | Map::ReusePortSockArray(data)
        | Map::RingBuf(data)
        | Map::SockHash(data)
        | Map::SockMap(data)
        | Map::SkStorage(data)
        | Map::Stack(data)
        | Map::StackTraceMap(data)
        | Map::Unsupported(data)
        | Map::XskMap(data) => data,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::fs::File;
    use std::rc::Rc;

    use super::*;
    use crate::sys::fake;

    fn raw_map(
        fd: BorrowedFd<'_>,
        key_size: usize,
        value_size: usize,
        n_slots: usize,
    ) -> RawMap<'_> {
        RawMap {
            name: "agg_0",
            fd,
            key_size,
            value_size,
            n_slots,
            max_entries: 16,
        }
    }

    /// A fake kernel holding one map with 4-byte keys; values are every CPU's slots.
    fn fake_hash(map: BTreeMap<Vec<u8>, Vec<u8>>) {
        fake::override_bpf(Box::new(move |cmd, attr| {
            // SAFETY: the element commands use this member; the pointers come from `RawMap`.
            let elem = unsafe { attr.__bindgen_anon_2 };
            let key_ptr = elem.key as *const u8;
            // SAFETY: both union members are the same `u64`.
            let value_ptr = unsafe { elem.__bindgen_anon_1.value } as *mut u8;
            let key = |len: usize| {
                // SAFETY: `RawMap` passes keys of the map's key size.
                unsafe { std::slice::from_raw_parts(key_ptr, len) }.to_vec()
            };
            match cmd {
                bpf_cmd::BPF_MAP_GET_NEXT_KEY => {
                    let next = if key_ptr.is_null() {
                        map.keys().next()
                    } else {
                        map.range(key(4)..).map(|(key, _)| key).nth(1)
                    };
                    let Some(next) = next else {
                        return -i64::from(libc::ENOENT);
                    };
                    // SAFETY: `next_key` has room for a key.
                    unsafe { std::ptr::copy_nonoverlapping(next.as_ptr(), value_ptr, 4) };
                    0
                }
                bpf_cmd::BPF_MAP_LOOKUP_ELEM => {
                    let Some(value) = map.get(&key(4)) else {
                        return -i64::from(libc::ENOENT);
                    };
                    // SAFETY: the buffer has room for every CPU's value.
                    unsafe {
                        std::ptr::copy_nonoverlapping(value.as_ptr(), value_ptr, value.len());
                    };
                    0
                }
                _ => -i64::from(libc::EINVAL),
            }
        }));
    }

    #[test]
    fn walks_keys_and_splits_per_cpu_values() {
        let dev_null = File::open("/dev/null").expect("open /dev/null");
        let map = raw_map(dev_null.as_fd(), 4, 4, 2);
        // Two CPUs, 4-byte values padded to 8 bytes each.
        fake_hash(BTreeMap::from([
            (
                vec![1, 0, 0, 0],
                vec![
                    7, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 9, 0, 0, 0, 0xee, 0xee, 0xee, 0xee,
                ],
            ),
            (vec![2, 0, 0, 0], vec![0; 16]),
        ]));
        assert_eq!(
            map.keys().expect("the walk works"),
            [vec![1, 0, 0, 0], vec![2, 0, 0, 0]]
        );
        assert_eq!(
            map.lookup(&[1, 0, 0, 0]).expect("the lookup works"),
            Some(vec![vec![7, 0, 0, 0], vec![9, 0, 0, 0]])
        );
        assert_eq!(map.lookup(&[3, 0, 0, 0]).expect("the lookup works"), None);
    }

    #[test]
    fn per_cpu_updates_give_every_cpu_the_value() {
        let dev_null = File::open("/dev/null").expect("open /dev/null");
        let map = raw_map(dev_null.as_fd(), 4, 4, 3);
        let written = Rc::new(RefCell::new(Vec::new()));
        let kernel = Rc::clone(&written);
        fake::override_bpf(Box::new(move |cmd, attr| {
            assert_eq!(cmd, bpf_cmd::BPF_MAP_UPDATE_ELEM);
            // SAFETY: the element commands use this member; `RawMap` passes a buffer of three
            // 8-byte slots.
            let value = unsafe {
                let value_ptr = attr.__bindgen_anon_2.__bindgen_anon_1.value as *const u8;
                std::slice::from_raw_parts(value_ptr, 24)
            };
            kernel.borrow_mut().extend_from_slice(value);
            0
        }));
        map.update(&[0; 4], &[1, 2, 3, 4], BPF_ANY)
            .expect("the fake accepts it");
        assert_eq!(
            *written.borrow(),
            [[1, 2, 3, 4, 0, 0, 0, 0]; 3].concat(),
            "each CPU's slot is padded to 8 bytes"
        );
    }

    #[test]
    fn sizes_are_checked_before_any_syscall() {
        let dev_null = File::open("/dev/null").expect("open /dev/null");
        let map = raw_map(dev_null.as_fd(), 8, 16, 1);
        let error = map
            .update(&[0; 4], &[0; 16], BPF_ANY)
            .expect_err("short key");
        assert_eq!(
            error.to_string(),
            "map `agg_0` has 8-byte keys, not 4-byte keys"
        );
        let error = map
            .update(&[0; 8], &[0; 17], BPF_ANY)
            .expect_err("long value");
        assert_eq!(
            error.to_string(),
            "map `agg_0` has 16-byte values, not 17-byte values"
        );
        let error = map.lookup(&[0; 9]).expect_err("long key");
        assert!(matches!(
            error,
            EngineError::KeySize {
                size: 9,
                expected: 8,
                ..
            }
        ));
    }

    #[test]
    fn syscall_failures_name_the_map_and_the_call() {
        let dev_null = File::open("/dev/null").expect("open /dev/null");
        let map = raw_map(dev_null.as_fd(), 4, 8, 1);
        fake::override_bpf(Box::new(|_, _| -i64::from(libc::E2BIG)));
        let error = map
            .update(&[0; 4], &[0; 8], BPF_ANY)
            .expect_err("the fake fails");
        assert_eq!(error.to_string(), "failed to access map `agg_0`");
        let EngineError::MapAccess { source, .. } = error else {
            panic!("not a map access error: {error:?}");
        };
        assert_eq!(source.call, "bpf_map_update_elem");
        assert_eq!(source.io_error.raw_os_error(), Some(libc::E2BIG));
    }
}
