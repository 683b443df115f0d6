//! `d_path` and `d_mountpath`: the name of a file, walked in BPF from its dentry up through its
//! mounts, as the kernel's `d_path` builds it for `/proc/PID/fd/N`, without calling it (it may
//! sleep, and no helper exposes it to every program type).
//!
//! The kernel writes the name backwards from the end of a buffer. Here the walk runs twice: the
//! first pass adds up the length, the second writes each component where it ends up, so a path
//! longer than `strsize` keeps its beginning, as every D string does. Both passes are `may_goto`
//! loops with their state in the work area; a read that fails ends a walk.
//!
//! Files on pseudo file systems have no path: the kernel names them with the file system's
//! `d_dname` callback, which is picked here by the superblock's magic number.
//!
//! Unlike the kernel, the walk takes neither `rename_lock` nor `mount_lock`: a rename or a mount
//! racing with it may give a mixed path (every read is a probe read, so never a fault), and an
//! unlinked file's path has no ` (deleted)` suffix.
//!
//! ```text
//!   mount = container_of(path->mnt, struct mount, mnt); dentry = path->dentry
//!   (d_mountpath: dentry = path->mnt->mnt_root)
//!   socket, pipe, anon_inode, pidfd: the kernel's name; done
//!   root = current->fs->root
//! walk: may_goto done
//!   if (dentry == root.dentry && &mount->mnt == root.mnt) done
//!   if (dentry == mount->mnt.mnt_root) {
//!       if (mount->mnt_parent == mount) done
//!       dentry = mount->mnt_mountpoint; mount = mount->mnt_parent; goto walk
//!   }
//!   if (dentry->d_parent == dentry) done
//!   visit(dentry->d_name); dentry = dentry->d_parent; goto walk
//! ```

use d_frontend::ir::{PathOffsets, VReg};

use super::area::{StringArea, Var};
use super::loops::{Loop, char_pointer, clear_slot, copy_string, load_var, set_var, store_var};
use super::proc::read_member;
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{KEY_SLOT, SCRATCH};
use crate::codegen::inst::{ClauseContext, scratch_offset, store_bytes};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// `SOCKFS_MAGIC` from `linux/magic.h`: `sockfs_dname` names its files `socket:[INODE]`.
const SOCKFS_MAGIC: i32 = 0x534F_434B;
/// `PIPEFS_MAGIC`: `pipefs_dname` names its files `pipe:[INODE]`.
const PIPEFS_MAGIC: i32 = 0x5049_5045;
/// `ANON_INODE_FS_MAGIC`: `anon_inodefs_dname` names its files `anon_inode:NAME`.
const ANON_INODE_FS_MAGIC: i32 = 0x0904_1934;
/// `PID_FS_MAGIC`: `pidfs_dname` names every pidfd `anon_inode:[pidfd]`.
const PID_FS_MAGIC: i32 = 0x5049_4446;

/// `dst = d_path(path)`, or `d_mountpath(path)` when `mount_point`.
pub fn d_path(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    path: VReg,
    offsets: &PathOffsets,
    mount_point: bool,
) {
    let area = context.strings;
    let done = emitter.target();
    clear_slot(emitter, area, dst);
    read_path_word(context, emitter, path, offsets.path_mnt);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    emitter.push(Insn::alu64_imm(
        AluOp::Sub,
        Reg::R1,
        offsets.mount_mnt as i32,
    ));
    store_var(emitter, area, Var::FirstMount, Reg::R1);
    read_path_word(context, emitter, path, offsets.path_dentry);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::FirstDentry, Reg::R1);
    if mount_point {
        //   dentry = mount->mnt.mnt_root
        load_var(emitter, area, Reg::R3, Var::FirstMount);
        read_member(emitter, offsets.mount_mnt + offsets.vfsmount_root, 8);
        emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
        store_var(emitter, area, Var::FirstDentry, Reg::R1);
    } else {
        pseudo_names(emitter, area, dst, offsets, done);
    }
    task_root(emitter, area, offsets);
    set_var(emitter, area, Var::Position, 0);
    walk(emitter, area, offsets, |emitter, _| {
        //   length += name.len + 1
        load_var(emitter, area, Reg::R1, Var::Position);
        load_var(emitter, area, Reg::R2, Var::NameLength);
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R1, Reg::R2));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
        store_var(emitter, area, Var::Position, Reg::R1);
    });
    //   if (length == 0) dst = "/"
    let components = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Position);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, components);
    if area.strsize > 0 {
        emitter.push(Insn::st_mem(
            Size::B,
            SCRATCH,
            scratch_offset(dst),
            i32::from(b'/'),
        ));
    }
    emitter.jump(done);
    emitter.place(components);
    walk(emitter, area, offsets, |emitter, walked| {
        write_component(emitter, area, dst, walked);
    });
    emitter.place(done);
}

/// `*(fp - 8) = *(path + offset)`; a read that fails faults with `BADADDR` at `path`.
fn read_path_word(context: &ClauseContext<'_>, emitter: &mut Emitter, path: VReg, offset: u32) {
    context.load_vreg(emitter, Reg::R3, path);
    read_member(emitter, offset, 8);
    context.load_vreg(emitter, Reg::R3, path);
    context.fault_unless(
        emitter,
        JmpOp::Jeq,
        Reg::R0,
        0,
        Fault::BadAddr,
        Some(Reg::R3),
    );
}

/// The names `d_dname` callbacks give files that have no path, picked by the file system's magic
/// number; jumps to `done` once one is written, falls through for any other file system.
///
/// ```text
///   magic = dentry->d_sb->s_magic
///   SOCKFS_MAGIC: "socket:[" inode "]"    PIPEFS_MAGIC: "pipe:[" inode "]"
///   ANON_INODE_FS_MAGIC: "anon_inode:" dentry->d_name   PID_FS_MAGIC: "anon_inode:[pidfd]"
/// ```
fn pseudo_names(
    emitter: &mut Emitter,
    area: StringArea,
    dst: u32,
    offsets: &PathOffsets,
    done: Target,
) {
    let other = emitter.target();
    let socket = emitter.target();
    let pipe = emitter.target();
    let anon = emitter.target();
    let pidfd = emitter.target();
    load_var(emitter, area, Reg::R3, Var::FirstDentry);
    read_member(emitter, offsets.dentry_sb, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, other);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
    read_member(emitter, offsets.sb_magic, 4);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, other);
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, Reg::FP, KEY_SLOT));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, SOCKFS_MAGIC, socket);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, PIPEFS_MAGIC, pipe);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, ANON_INODE_FS_MAGIC, anon);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, PID_FS_MAGIC, pidfd);
    emitter.jump(other);
    for (target, prefix) in [(socket, &b"socket:["[..]), (pipe, &b"pipe:["[..])] {
        emitter.place(target);
        if let Some(at) = prefix_bytes(emitter, area, dst, prefix) {
            inode_number(emitter, area, (dst, at), offsets, done);
        }
        emitter.jump(done);
    }
    emitter.place(anon);
    if let Some(at) = prefix_bytes(emitter, area, dst, b"anon_inode:") {
        load_var(emitter, area, Reg::R3, Var::FirstDentry);
        read_member(emitter, offsets.dentry_name, 8);
        emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
        copy_string(
            emitter,
            area,
            dst + at,
            Reg::R3,
            Some(area.copy_size() - at as i32),
        );
    }
    emitter.jump(done);
    emitter.place(pidfd);
    prefix_bytes(emitter, area, dst, b"anon_inode:[pidfd]");
    emitter.jump(done);
    emitter.place(other);
}

/// Writes as much of `bytes` as fits at the start of the slot at `dst`; returns where what
/// follows goes, or `None` when the slot is full.
fn prefix_bytes(emitter: &mut Emitter, area: StringArea, dst: u32, bytes: &[u8]) -> Option<u32> {
    let len = (bytes.len() as u32).min(area.strsize);
    store_bytes(emitter, dst, &bytes[..len as usize], len);
    (len < area.strsize).then_some(len)
}

/// Writes the dentry's inode number in decimal and `]` at position `at` of the slot at `dst`, cut
/// at the end of the string.
///
/// ```text
///   v = dentry->d_inode->i_ino
///   digits[71] = 0; digits[70] = ']'; p = 69
/// head: may_goto copy
///   digits[p--] = '0' + v % 10; v /= 10; if (v != 0) goto head
/// copy:
///   probe_read_kernel_str(dst, rest of the slot, &digits[p + 1])
/// ```
fn inode_number(
    emitter: &mut Emitter,
    area: StringArea,
    (dst, at): (u32, u32),
    offsets: &PathOffsets,
    done: Target,
) {
    let last = super::area::DIGITS_SIZE as i32 - 1;
    let copy = emitter.target();
    load_var(emitter, area, Reg::R3, Var::FirstDentry);
    read_member(emitter, offsets.dentry_inode, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
    read_member(emitter, offsets.inode_ino, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::Value, Reg::R1);
    let digits = scratch_offset(area.digits());
    emitter.push(Insn::st_mem(Size::B, SCRATCH, digits + last as i16, 0));
    emitter.push(Insn::st_mem(
        Size::B,
        SCRATCH,
        digits + last as i16 - 1,
        i32::from(b']'),
    ));
    set_var(emitter, area, Var::Index, last - 2);
    let number = Loop::begin(emitter, copy);
    load_var(emitter, area, Reg::R1, Var::Value);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.push(Insn::alu64_imm(AluOp::Mod, Reg::R3, 10));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(b'0')));
    emitter.push(Insn::alu64_imm(AluOp::Div, Reg::R1, 10));
    store_var(emitter, area, Var::Value, Reg::R1);
    load_var(emitter, area, Reg::R5, Var::Index);
    emitter.jump_imm(JmpOp::Jgt, Reg::R5, last, copy);
    char_pointer(emitter, Reg::R0, area.digits(), Reg::R5);
    emitter.push(Insn::stx_mem(Size::B, Reg::R0, Reg::R3, 0));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R5, 1));
    store_var(emitter, area, Var::Index, Reg::R5);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, copy);
    number.again(emitter);
    emitter.place(copy);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    emitter.jump_imm(JmpOp::Jgt, Reg::R1, last, done);
    char_pointer(emitter, Reg::R3, area.digits(), Reg::R1);
    copy_string(
        emitter,
        area,
        dst + at,
        Reg::R3,
        Some(area.copy_size() - at as i32),
    );
}

/// The current task's root, where every walk stops: `current->fs->root`, or none (0) when it
/// cannot be read.
fn task_root(emitter: &mut Emitter, area: StringArea, offsets: &PathOffsets) {
    let unknown = emitter.target();
    set_var(emitter, area, Var::RootDentry, 0);
    set_var(emitter, area, Var::RootMount, 0);
    emitter.push(Insn::call(Helper::bpf_get_current_task));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
    read_member(emitter, offsets.task_fs, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, unknown);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::Parent, Reg::R3);
    read_member(emitter, offsets.fs_root + offsets.path_mnt, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, unknown);
    load_var(emitter, area, Reg::R3, Var::Parent);
    read_member(emitter, offsets.fs_root + offsets.path_dentry, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, unknown);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::RootDentry, Reg::R1);
    load_var(emitter, area, Reg::R3, Var::Parent);
    read_member(emitter, offsets.fs_root + offsets.path_mnt, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, unknown);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::RootMount, Reg::R1);
    emitter.place(unknown);
}

/// One walk from the first dentry up to the root, calling `visit` for each component with its
/// length and characters in `Var::NameLength` and `Var::NamePointer`, and the walk's end.
fn walk(
    emitter: &mut Emitter,
    area: StringArea,
    offsets: &PathOffsets,
    visit: impl FnOnce(&mut Emitter, Target),
) {
    let walked = emitter.target();
    let not_root = emitter.target();
    let inside = emitter.target();
    load_var(emitter, area, Reg::R1, Var::FirstDentry);
    store_var(emitter, area, Var::Dentry, Reg::R1);
    load_var(emitter, area, Reg::R1, Var::FirstMount);
    store_var(emitter, area, Var::Mount, Reg::R1);
    let up = Loop::begin(emitter, walked);
    //   if (dentry == root.dentry && &mount->mnt == root.mnt) done
    load_var(emitter, area, Reg::R1, Var::Dentry);
    load_var(emitter, area, Reg::R2, Var::RootDentry);
    emitter.jump_reg(JmpOp::Jne, Reg::R1, Reg::R2, not_root);
    load_var(emitter, area, Reg::R1, Var::Mount);
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R1,
        offsets.mount_mnt as i32,
    ));
    load_var(emitter, area, Reg::R2, Var::RootMount);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, walked);
    emitter.place(not_root);
    //   if (dentry == mount->mnt.mnt_root) cross to the mount point, unless at the top
    load_var(emitter, area, Reg::R3, Var::Mount);
    read_member(emitter, offsets.mount_mnt + offsets.vfsmount_root, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    load_var(emitter, area, Reg::R2, Var::Dentry);
    emitter.jump_reg(JmpOp::Jne, Reg::R1, Reg::R2, inside);
    load_var(emitter, area, Reg::R3, Var::Mount);
    read_member(emitter, offsets.mount_parent, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    load_var(emitter, area, Reg::R2, Var::Mount);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, walked);
    store_var(emitter, area, Var::Parent, Reg::R1);
    load_var(emitter, area, Reg::R3, Var::Mount);
    read_member(emitter, offsets.mount_mountpoint, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::Dentry, Reg::R1);
    load_var(emitter, area, Reg::R1, Var::Parent);
    store_var(emitter, area, Var::Mount, Reg::R1);
    up.again(emitter);
    emitter.place(inside);
    //   if (dentry->d_parent == dentry) done; visit(dentry->d_name); dentry = dentry->d_parent
    load_var(emitter, area, Reg::R3, Var::Dentry);
    read_member(emitter, offsets.dentry_parent, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    load_var(emitter, area, Reg::R2, Var::Dentry);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, walked);
    store_var(emitter, area, Var::Parent, Reg::R1);
    load_var(emitter, area, Reg::R3, Var::Dentry);
    read_member(emitter, offsets.dentry_name_len, 4);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::NameLength, Reg::R1);
    load_var(emitter, area, Reg::R3, Var::Dentry);
    read_member(emitter, offsets.dentry_name, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, walked);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::NamePointer, Reg::R1);
    visit(emitter, walked);
    load_var(emitter, area, Reg::R1, Var::Parent);
    store_var(emitter, area, Var::Dentry, Reg::R1);
    up.again(emitter);
    emitter.place(walked);
}

/// Writes one component and the `/` before it, ending where the previous (deeper) one started;
/// what lies past the string size is left out.
///
/// ```text
///   position -= len; if (position < 0) done
///   if (position < strsize) probe_read_kernel(&dst[position], min(len, strsize - position), name)
///   position -= 1; if (position < 0) done
///   if (position < strsize) dst[position] = '/'
/// ```
fn write_component(emitter: &mut Emitter, area: StringArea, dst: u32, walked: Target) {
    let strsize = area.strsize as i32;
    let slash = emitter.target();
    let next = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Position);
    load_var(emitter, area, Reg::R2, Var::NameLength);
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R1, Reg::R2));
    store_var(emitter, area, Var::Position, Reg::R1);
    emitter.jump_imm(JmpOp::Jslt, Reg::R1, 0, walked);
    emitter.jump_imm(JmpOp::Jge, Reg::R1, strsize, slash);
    emitter.push(Insn::mov64_imm(Reg::R4, strsize));
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R4, Reg::R1));
    emitter.push(Insn::jmp_reg(JmpOp::Jle, Reg::R2, Reg::R4, 1));
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R4));
    emitter.jump_imm(JmpOp::Jgt, Reg::R2, strsize, slash);
    emitter.push(Insn::mov64_reg(Reg::R5, Reg::R1));
    char_pointer(emitter, Reg::R1, dst, Reg::R5);
    load_var(emitter, area, Reg::R3, Var::NamePointer);
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
    emitter.place(slash);
    load_var(emitter, area, Reg::R1, Var::Position);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R1, 1));
    store_var(emitter, area, Var::Position, Reg::R1);
    emitter.jump_imm(JmpOp::Jslt, Reg::R1, 0, walked);
    emitter.jump_imm(JmpOp::Jge, Reg::R1, strsize, next);
    char_pointer(emitter, Reg::R0, dst, Reg::R1);
    emitter.push(Insn::st_mem(Size::B, Reg::R0, 0, i32::from(b'/')));
    emitter.place(next);
}
