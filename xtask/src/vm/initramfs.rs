//! The guest's root file system: an uncompressed `newc` cpio archive, which the kernel unpacks
//! into its initial tmpfs and whose `/init` it runs.
//!
//! The archive is written here rather than by `cpio`, which this machine does not have: a `newc`
//! entry is a 110-byte ASCII header of thirteen 8-digit hexadecimal fields, the NUL-terminated
//! name, and the data, each padded to four bytes; a `TRAILER!!!` entry ends it.

/// One file system entry of the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir {
        /// Its path, without a leading `/`.
        path: String,
    },
    /// A regular file with its permission bits.
    File {
        /// Its path, without a leading `/`.
        path: String,
        /// `0o755` for programs.
        mode: u32,
        /// Its contents.
        data: Vec<u8>,
    },
    /// A symbolic link.
    Symlink {
        /// Its path, without a leading `/`.
        path: String,
        /// What it points to.
        target: String,
    },
}

impl Entry {
    fn path(&self) -> &str {
        match self {
            Entry::Dir { path } | Entry::File { path, .. } | Entry::Symlink { path, .. } => path,
        }
    }

    /// The `st_mode` and the data of the entry.
    fn mode_and_data(&self) -> (u32, &[u8]) {
        match self {
            Entry::Dir { .. } => (0o040_755, &[]),
            Entry::File { mode, data, .. } => (0o100_000 | mode, data),
            Entry::Symlink { target, .. } => (0o120_777, target.as_bytes()),
        }
    }
}

/// The archive of `entries`, in order (a directory must come before what it holds).
pub fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (entry_idx, entry) in entries.iter().enumerate() {
        let (mode, data) = entry.mode_and_data();
        push_entry(&mut out, entry_idx as u32 + 1, mode, entry.path(), data);
    }
    push_entry(&mut out, 0, 0, "TRAILER!!!", &[]);
    out
}

fn push_entry(out: &mut Vec<u8>, ino: u32, mode: u32, name: &str, data: &[u8]) {
    let nlink = if mode & 0o170_000 == 0o040_000 { 2 } else { 1 };
    let fields = [
        ino,
        mode,
        0,
        0,
        nlink,
        0,
        data.len() as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for field in fields {
        out.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad(out);
    out.extend_from_slice(data);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The paths an archive holds, in order, with `d`, `f` or `l` for their kind: what `cpio -t`
/// would list, read back from the headers.
pub fn listing(archive: &[u8]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut at = 0;
    loop {
        let header = archive.get(at..at + 110)?;
        if &header[..6] != b"070701" {
            return None;
        }
        let field = |field_idx: usize| {
            let start = 6 + 8 * field_idx;
            u32::from_str_radix(std::str::from_utf8(&header[start..start + 8]).ok()?, 16).ok()
        };
        let (mode, size, name_size) = (field(1)?, field(6)? as usize, field(11)? as usize);
        let name = archive.get(at + 110..at + 110 + name_size - 1)?;
        let name = String::from_utf8(name.to_vec()).ok()?;
        if name == "TRAILER!!!" {
            return Some(names);
        }
        let kind = match mode & 0o170_000 {
            0o040_000 => 'd',
            0o120_000 => 'l',
            _ => 'f',
        };
        names.push(format!("{kind} {name}"));
        at = (at + 110 + name_size).next_multiple_of(4);
        at = (at + size).next_multiple_of(4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_listed_back_in_order_with_their_kinds() {
        let entries = [
            Entry::Dir {
                path: "bin".to_string(),
            },
            Entry::File {
                path: "bin/busybox".to_string(),
                mode: 0o755,
                data: b"odd length".to_vec(),
            },
            Entry::Symlink {
                path: "bin/sh".to_string(),
                target: "busybox".to_string(),
            },
            Entry::File {
                path: "init".to_string(),
                mode: 0o755,
                data: b"#!/bin/sh\n".to_vec(),
            },
        ];
        let bytes = archive(&entries);
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(
            listing(&bytes).expect("a valid archive"),
            ["d bin", "f bin/busybox", "l bin/sh", "f init"]
        );
    }

    #[test]
    fn a_header_holds_mode_size_and_name_length_in_hex() {
        let bytes = archive(&[Entry::File {
            path: "init".to_string(),
            mode: 0o755,
            data: vec![b'x'; 3],
        }]);
        let header = std::str::from_utf8(&bytes[..110]).unwrap();
        assert_eq!(&header[..6], "070701");
        assert_eq!(&header[14..22], "000081ed", "a regular file, rwxr-xr-x");
        assert_eq!(&header[54..62], "00000003", "three bytes");
        assert_eq!(&header[94..102], "00000005", "`init` and its NUL");
        assert_eq!(&bytes[110..116], b"init\0\0");
        assert_eq!(listing(&bytes[..100]), None, "a truncated archive");
    }
}
