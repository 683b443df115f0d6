//! The systemd notification protocol (`sd_notify(3)`): a datagram of `KEY=VALUE` lines to the
//! socket in `$NOTIFY_SOCKET`.
//!
//! It is a few lines over a Unix datagram socket, so the daemon speaks it directly rather than
//! through a crate. Outside systemd the variable is unset and nothing is sent.

use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `state` (for example `READY=1`) to systemd, if it is listening; returns whether it was
/// sent.
pub fn notify(state: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return false;
    };
    let path = path.to_string_lossy().into_owned();
    let address = match path.strip_prefix('@') {
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
        None => SocketAddr::from_pathname(&path),
    };
    let Ok(address) = address else {
        return false;
    };
    let Ok(socket) = UnixDatagram::unbound() else {
        return false;
    };
    socket.send_to_addr(state.as_bytes(), &address).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_reaches_the_notify_socket() {
        let dir = std::env::temp_dir().join(format!("tracerd-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let _ = std::fs::remove_file(&path);
        let listener = UnixDatagram::bind(&path).unwrap();
        // SAFETY: no other thread of this test binary reads or writes NOTIFY_SOCKET.
        unsafe { std::env::set_var("NOTIFY_SOCKET", &path) };
        assert!(notify("READY=1\nSTATUS=serving"));
        // SAFETY: as above.
        unsafe { std::env::remove_var("NOTIFY_SOCKET") };
        let mut buffer = [0u8; 64];
        let n_bytes = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n_bytes], b"READY=1\nSTATUS=serving");
        assert!(!notify("READY=1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
