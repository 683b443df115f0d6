//! Records through the `events` ring buffer (`BPF_MAP_TYPE_RINGBUF`), read with the kernel's
//! protocol.
//!
//! aya's `RingBuf` maps the data area twice in a row, so that a record wrapping past its end reads
//! on contiguously; but the kernel inserts every page of a ring buffer mapping when the mapping is
//! made, so that second view cost as much resident memory as the buffer itself (4 MiB with the
//! default `bufsize`). Here the data area is mapped once, and the rare record that wraps is copied
//! into a buffer kept for the purpose.
//!
//! The map is mapped in the two pieces the kernel allows: the consumer page read-write (the
//! consumer position, which only this reader writes), and the producer page followed by the data
//! area, read-only. A record starts with an 8-byte header whose first word is its length, with
//! `BPF_RINGBUF_BUSY_BIT` set until the producer commits it and `BPF_RINGBUF_DISCARD_BIT` set when
//! it was discarded. Records are 8-byte aligned and the data area is a power-of-two number of
//! pages, so a header never wraps; a record's bytes may.

use std::io;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd as _, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use aya::maps::{Map, MapData};
use aya_obj::generated::{BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ};

use crate::error::EngineError;
use crate::perfbuf::page_size;

/// The bytes of a record header.
const HEADER_SIZE: usize = BPF_RINGBUF_HDR_SZ as usize;

/// A ring buffer map, mapped for reading.
pub(crate) struct RingBuffer {
    /// The positions and the data area, in the mappings below.
    ring: Ring,
    /// The bytes of the last record that wrapped past the end of the data area, made contiguous.
    wrapped: Vec<u8>,
    /// The consumer page, read-write.
    _consumer_page: Mapping,
    /// The producer page and the data area, read-only.
    _producer_pages: Mapping,
    /// The map, whose descriptor the mappings came from and `poll` waits on.
    map: MapData,
}

// SAFETY: the mappings belong to the `RingBuffer` alone, and `ring` only points into them; moving
// it to another thread moves them all together.
unsafe impl Send for RingBuffer {}

impl RingBuffer {
    /// Maps `map`, the ring buffer named `name`.
    pub(crate) fn open(map: Map, name: &str) -> Result<RingBuffer, EngineError> {
        let Map::RingBuf(map) = map else {
            return Err(EngineError::WrongMapType {
                map: name.to_owned(),
                expected: "BPF_MAP_TYPE_RINGBUF",
            });
        };
        let info = map.info().map_err(|source| EngineError::MapInfo {
            map: name.to_owned(),
            source: Box::new(source),
        })?;
        let data_size = info.max_entries() as usize;
        let page_size = page_size();
        let mmap_error = |io_error| EngineError::RingBufferMap {
            map: name.to_owned(),
            io_error,
        };
        if !data_size.is_power_of_two() || data_size < page_size {
            return Err(mmap_error(io::Error::from(io::ErrorKind::InvalidData)));
        }
        let fd = map.fd().as_fd();
        let consumer_page = Mapping::new(fd, page_size, libc::PROT_READ | libc::PROT_WRITE, 0)
            .map_err(mmap_error)?;
        let producer_pages = Mapping::new(fd, page_size + data_size, libc::PROT_READ, page_size)
            .map_err(mmap_error)?;
        let producer = producer_pages.ptr;
        // SAFETY: the consumer page starts with the consumer position and the producer page with
        // the producer position, both page-aligned `unsigned long`s; the data area is the
        // `data_size` bytes after the producer page. The mappings live as long as `ring`.
        let ring = unsafe {
            Ring::new(
                consumer_page.ptr.cast(),
                producer.cast(),
                producer.add(page_size),
                data_size,
            )
        };
        Ok(RingBuffer {
            ring,
            wrapped: Vec::new(),
            _consumer_page: consumer_page,
            _producer_pages: producer_pages,
            map,
        })
    }

    /// Hands every committed record to `sink`, oldest first, and returns how many there were.
    ///
    /// It stops at a record the producer has not committed yet, and after one buffer's worth of
    /// records, so it returns even when records come as fast as they go.
    pub(crate) fn read(&mut self, sink: &mut dyn FnMut(&[u8])) -> usize {
        self.ring.read(&mut self.wrapped, sink)
    }
}

impl AsFd for RingBuffer {
    /// The map's descriptor, which `poll` reports readable when records are waiting.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.map.fd().as_fd()
    }
}

/// The positions and the data area of a ring buffer, wherever they live (in a map's mappings, or
/// in a test's memory).
struct Ring {
    /// Where the next record to read starts; only this reader writes it.
    consumer_pos: NonNull<AtomicUsize>,
    /// Where the producer will reserve the next record.
    producer_pos: NonNull<AtomicUsize>,
    /// The data area.
    data: NonNull<u8>,
    /// The data area's size: a power of two, a multiple of 8.
    size: usize,
}

impl Ring {
    /// # Safety
    ///
    /// The two positions must be valid atomics, and `data` valid for reads of `size` bytes and
    /// 8-byte aligned, for as long as the `Ring` lives. `size` must be a power of two of at least
    /// 8. Nothing else may write the consumer position.
    unsafe fn new(
        consumer_pos: NonNull<AtomicUsize>,
        producer_pos: NonNull<AtomicUsize>,
        data: NonNull<u8>,
        size: usize,
    ) -> Ring {
        Ring {
            consumer_pos,
            producer_pos,
            data,
            size,
        }
    }

    fn consumer_pos(&self) -> &AtomicUsize {
        // SAFETY: valid for the `Ring`'s life, by `Ring::new`'s contract.
        unsafe { self.consumer_pos.as_ref() }
    }

    fn producer_pos(&self) -> &AtomicUsize {
        // SAFETY: valid for the `Ring`'s life, by `Ring::new`'s contract.
        unsafe { self.producer_pos.as_ref() }
    }

    /// The length word of the record header at position `pos`, read with acquire ordering: the
    /// producer clears the busy bit after writing the record's bytes.
    fn header_word(&self, pos: usize) -> u32 {
        let offset = pos & (self.size - 1);
        // SAFETY: positions are 8-byte aligned, so the word is inside the data area and aligned;
        // the producer writes it only atomically.
        let word = unsafe { AtomicU32::from_ptr(self.data.as_ptr().add(offset).cast()) };
        word.load(Ordering::Acquire)
    }

    /// The bytes of the `len`-byte record whose bytes start at position `start`, copied into
    /// `wrapped` when they wrap past the end of the data area.
    fn record<'a>(
        &'a self,
        start: usize,
        len: usize,
        wrapped: &'a mut Vec<u8>,
    ) -> Option<&'a [u8]> {
        let (first, second) = record_span(start, len, self.size)?;
        let part = |range: Range<usize>| {
            // SAFETY: `record_span` keeps both ranges inside the data area. The producer does
            // not write a committed record's bytes until the consumer position passes them.
            unsafe { std::slice::from_raw_parts(self.data.as_ptr().add(range.start), range.len()) }
        };
        Some(join(part(first), part(second), wrapped))
    }

    /// Hands every committed record to `sink`, oldest first, moving the consumer position past
    /// each; stops at an uncommitted record or after `size` bytes.
    fn read(&self, wrapped: &mut Vec<u8>, sink: &mut dyn FnMut(&[u8])) -> usize {
        let start_pos = self.consumer_pos().load(Ordering::Relaxed);
        let mut consumer_pos = start_pos;
        let mut producer_pos = self.producer_pos().load(Ordering::Acquire);
        let mut n_records = 0;
        while consumer_pos.wrapping_sub(start_pos) < self.size {
            if consumer_pos == producer_pos {
                producer_pos = self.producer_pos().load(Ordering::Acquire);
                if consumer_pos == producer_pos {
                    break;
                }
            }
            let Header::Committed { len, discarded } = parse_header(self.header_word(consumer_pos))
            else {
                break;
            };
            if !discarded
                && let Some(bytes) =
                    self.record(consumer_pos.wrapping_add(HEADER_SIZE), len, wrapped)
            {
                sink(bytes);
                n_records += 1;
            }
            consumer_pos = next_pos(consumer_pos, len);
            self.consumer_pos().store(consumer_pos, Ordering::Release);
        }
        n_records
    }
}

/// What a record header's length word says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    /// The producer has not committed the record yet.
    Busy,
    /// The producer committed (or discarded) a record of `len` bytes.
    Committed {
        /// The record's bytes, without the header.
        len: usize,
        /// Whether the producer discarded it.
        discarded: bool,
    },
}

fn parse_header(word: u32) -> Header {
    if word & BPF_RINGBUF_BUSY_BIT != 0 {
        return Header::Busy;
    }
    Header::Committed {
        len: (word & !BPF_RINGBUF_DISCARD_BIT) as usize,
        discarded: word & BPF_RINGBUF_DISCARD_BIT != 0,
    }
}

/// The position after the `len`-byte record at `pos`: its header and bytes, rounded up to 8.
fn next_pos(pos: usize, len: usize) -> usize {
    pos.wrapping_add((HEADER_SIZE + len).next_multiple_of(8))
}

/// Where the `len` bytes starting at position `start` lie in a data area of `size` bytes (a power
/// of two): the part before the area's end, and the part that wrapped to its start (empty unless
/// the bytes wrap). `None` when they are longer than the area, which the kernel never writes.
fn record_span(start: usize, len: usize, size: usize) -> Option<(Range<usize>, Range<usize>)> {
    if len > size {
        return None;
    }
    let offset = start & (size - 1);
    let first_end = (offset + len).min(size);
    Some((offset..first_end, 0..offset + len - first_end))
}

/// `first` then `second` as one slice: `first` itself when `second` is empty, else both copied
/// into `buffer`.
fn join<'a>(first: &'a [u8], second: &[u8], buffer: &'a mut Vec<u8>) -> &'a [u8] {
    if second.is_empty() {
        return first;
    }
    buffer.clear();
    buffer.extend_from_slice(first);
    buffer.extend_from_slice(second);
    buffer
}

/// A shared memory mapping of a map's pages, unmapped on drop.
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of `fd` from `offset`, shared, with protection `prot`.
    fn new(
        fd: BorrowedFd<'_>,
        len: usize,
        prot: libc::c_int,
        offset: usize,
    ) -> io::Result<Mapping> {
        let offset = libc::off_t::try_from(offset).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: a fresh mapping chosen by the kernel aliases nothing.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast()).ok_or(io::ErrorKind::InvalidData)?;
        Ok(Mapping { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping is this one's, and nothing points into it once its owner is gone.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring buffer in ordinary memory, written the way the kernel's producer writes it.
    struct FakeRing {
        consumer_pos: Box<AtomicUsize>,
        producer_pos: Box<AtomicUsize>,
        /// The data area, as 8-byte words so it is aligned.
        data: Vec<u64>,
    }

    impl FakeRing {
        fn new(size: usize) -> FakeRing {
            FakeRing {
                consumer_pos: Box::new(AtomicUsize::new(0)),
                producer_pos: Box::new(AtomicUsize::new(0)),
                data: vec![0; size / 8],
            }
        }

        /// Starts both positions at `pos`, as after that many bytes of earlier records.
        fn start_at(&mut self, pos: usize) {
            *self.consumer_pos.get_mut() = pos;
            *self.producer_pos.get_mut() = pos;
        }

        fn bytes(&mut self) -> &mut [u8] {
            let len = self.data.len() * 8;
            // SAFETY: the words' memory, viewed as bytes.
            unsafe { std::slice::from_raw_parts_mut(self.data.as_mut_ptr().cast(), len) }
        }

        /// Reserves and writes a record of `payload` with header length word flags `flags`.
        fn push(&mut self, payload: &[u8], flags: u32) {
            let pos = *self.producer_pos.get_mut();
            let mask = self.data.len() * 8 - 1;
            let word = u32::try_from(payload.len()).expect("a short record") | flags;
            let bytes = self.bytes();
            bytes[pos & mask..(pos & mask) + 4].copy_from_slice(&word.to_ne_bytes());
            for (idx, byte) in payload.iter().enumerate() {
                bytes[(pos + HEADER_SIZE + idx) & mask] = *byte;
            }
            *self.producer_pos.get_mut() = next_pos(pos, payload.len());
        }

        /// Reads every record with the reader under test.
        fn read(&mut self, wrapped: &mut Vec<u8>) -> Vec<Vec<u8>> {
            let size = self.data.len() * 8;
            // SAFETY: every pointer is into `self`, which outlives the `Ring`.
            let ring = unsafe {
                Ring::new(
                    NonNull::from(&*self.consumer_pos),
                    NonNull::from(&*self.producer_pos),
                    NonNull::new(self.data.as_mut_ptr().cast()).expect("a non-null buffer"),
                    size,
                )
            };
            let mut records = Vec::new();
            let n_records = ring.read(wrapped, &mut |bytes| records.push(bytes.to_vec()));
            assert_eq!(n_records, records.len());
            records
        }

        fn consumer_pos(&self) -> usize {
            self.consumer_pos.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn header_words() {
        assert_eq!(
            parse_header(12),
            Header::Committed {
                len: 12,
                discarded: false
            }
        );
        assert_eq!(
            parse_header(0x0c | BPF_RINGBUF_DISCARD_BIT),
            Header::Committed {
                len: 12,
                discarded: true
            }
        );
        assert_eq!(parse_header(0x0c | BPF_RINGBUF_BUSY_BIT), Header::Busy);
        assert_eq!(
            parse_header(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT),
            Header::Busy
        );
    }

    #[test]
    fn records_take_their_header_and_round_up_to_8() {
        assert_eq!(next_pos(0, 0), 8);
        assert_eq!(next_pos(0, 1), 16);
        assert_eq!(next_pos(16, 8), 32);
        assert_eq!(next_pos(16, 9), 40);
        assert_eq!(next_pos(usize::MAX - 7, 0), 0);
    }

    #[test]
    fn spans_split_where_the_data_area_ends() {
        assert_eq!(record_span(8, 16, 64), Some((8..24, 0..0)));
        assert_eq!(record_span(64 + 48, 16, 64), Some((48..64, 0..0)));
        assert_eq!(record_span(56, 20, 64), Some((56..64, 0..12)));
        assert_eq!(record_span(128 + 40, 64, 64), Some((40..64, 0..40)));
        assert_eq!(record_span(0, 64, 64), Some((0..64, 0..0)));
        assert_eq!(record_span(0, 65, 64), None);
    }

    #[test]
    fn join_copies_only_what_wrapped() {
        let mut buffer = vec![9; 3];
        assert_eq!(join(b"abc", b"", &mut buffer), b"abc");
        assert_eq!(buffer, [9, 9, 9]);
        assert_eq!(join(b"ab", b"cd", &mut buffer), b"abcd");
        assert_eq!(join(b"e", b"f", &mut buffer), b"ef");
    }

    #[test]
    fn reads_records_in_order_and_frees_their_space() {
        let mut ring = FakeRing::new(64);
        ring.push(b"first", 0);
        ring.push(b"second record", 0);
        let mut wrapped = Vec::new();
        assert_eq!(
            ring.read(&mut wrapped),
            [b"first".to_vec(), b"second record".to_vec()]
        );
        assert_eq!(ring.consumer_pos(), 16 + 24);
        assert!(ring.read(&mut wrapped).is_empty());
        assert!(wrapped.is_empty());
    }

    #[test]
    fn a_record_wrapping_past_the_end_arrives_whole() {
        let mut ring = FakeRing::new(64);
        ring.start_at(48);
        // Header at 48..56, bytes at 56..64 then 0..12.
        let payload: Vec<u8> = (1..=20).collect();
        ring.push(&payload, 0);
        ring.push(b"after", 0);
        let mut wrapped = Vec::new();
        assert_eq!(
            ring.read(&mut wrapped),
            [payload.clone(), b"after".to_vec()]
        );
        assert_eq!(wrapped, payload);
        assert_eq!(ring.consumer_pos(), 48 + 32 + 16);
    }

    #[test]
    fn discarded_records_are_skipped() {
        let mut ring = FakeRing::new(64);
        ring.push(b"dropped", BPF_RINGBUF_DISCARD_BIT);
        ring.push(b"kept", 0);
        assert_eq!(ring.read(&mut Vec::new()), [b"kept".to_vec()]);
        assert_eq!(ring.consumer_pos(), 32);
    }

    #[test]
    fn reading_stops_at_an_uncommitted_record() {
        let mut ring = FakeRing::new(64);
        ring.push(b"done", 0);
        ring.push(b"busy", BPF_RINGBUF_BUSY_BIT);
        ring.push(b"later", 0);
        assert_eq!(ring.read(&mut Vec::new()), [b"done".to_vec()]);
        assert_eq!(ring.consumer_pos(), 16);
        // Once committed, it and the records after it arrive.
        ring.bytes()[16..20].copy_from_slice(&4u32.to_ne_bytes());
        assert_eq!(
            ring.read(&mut Vec::new()),
            [b"busy".to_vec(), b"later".to_vec()]
        );
    }

    #[test]
    fn one_read_takes_at_most_one_buffer_of_records() {
        let mut ring = FakeRing::new(64);
        for idx in 0..4u8 {
            ring.push(&[idx; 8], 0);
        }
        let mut wrapped = Vec::new();
        assert_eq!(ring.read(&mut wrapped).len(), 4);
        // A producer that keeps writing while the consumer reads can keep it busy forever; here
        // the producer is two buffers ahead at once (its later records overwrote the earlier
        // ones), which a real producer never is, and the reader still takes only one buffer.
        for idx in 4..12u8 {
            ring.push(&[idx; 8], 0);
        }
        let records = ring.read(&mut wrapped);
        assert_eq!(records.len(), 4);
        assert_eq!(records[0], [8; 8]);
    }
}
