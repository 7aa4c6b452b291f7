#!/usr/bin/env python3
"""Generate the seed corpora of fuzz_reply and fuzz_init (docs/fuzzing.md).

Seeds are valid exchanges: every request/reply pair of the Linux 6.18 <->
libfuse captures in tests/vectors/*.fcap becomes a fuzz_reply input (the
captured INIT reply, then the captured reply to a request of the same
shape), and every captured INIT reply becomes fuzz_init inputs, plus a few
hand-made exchanges the captures lack (notifications, interrupts, resend,
background requests, compat-sized INIT replies).  Deterministic: running it
again writes the same files.

Usage: fuzz/mkseeds.py            (from anywhere; writes fuzz/corpus/)
"""
import hashlib
import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(TOP, "tests", "vectors")
CORPUS = os.path.join(TOP, "fuzz", "corpus")

# The order of fuzz_reply.c's shapes[] table (keep in sync).
SHAPES = [
    "LOOKUP", "FORGET", "GETATTR", "SETATTR", "READLINK", "SYMLINK", "MKNOD",
    "MKDIR", "UNLINK", "RMDIR", "RENAME", "LINK", "OPEN", "READ", "WRITE",
    "STATFS", "RELEASE", "FSYNC", "SETXATTR", "GETXATTR_SIZE", "GETXATTR",
    "LISTXATTR_SIZE", "LISTXATTR", "REMOVEXATTR", "FLUSH", "OPENDIR",
    "READDIR", "RELEASEDIR", "FSYNCDIR", "GETLK", "SETLK", "SETLKW", "ACCESS",
    "CREATE", "BMAP", "DESTROY", "IOCTL", "POLL", "NOTIFY_REPLY",
    "BATCH_FORGET", "FALLOCATE", "READDIRPLUS", "RENAME2", "LSEEK",
    "COPY_FILE_RANGE", "SETUPMAPPING", "REMOVEMAPPING", "SYNCFS", "TMPFILE",
    "STATX", "COPY_FILE_RANGE_64", "UNKNOWN",
]
OPCODES = {
    1: "LOOKUP", 2: "FORGET", 3: "GETATTR", 4: "SETATTR", 5: "READLINK",
    6: "SYMLINK", 8: "MKNOD", 9: "MKDIR", 10: "UNLINK", 11: "RMDIR",
    12: "RENAME", 13: "LINK", 14: "OPEN", 15: "READ", 16: "WRITE",
    17: "STATFS", 18: "RELEASE", 20: "FSYNC", 21: "SETXATTR", 22: "GETXATTR",
    23: "LISTXATTR", 24: "REMOVEXATTR", 25: "FLUSH", 26: "INIT",
    27: "OPENDIR", 28: "READDIR", 29: "RELEASEDIR", 30: "FSYNCDIR",
    31: "GETLK", 32: "SETLK", 33: "SETLKW", 34: "ACCESS", 35: "CREATE",
    36: "INTERRUPT", 37: "BMAP", 38: "DESTROY", 39: "IOCTL", 40: "POLL",
    41: "NOTIFY_REPLY", 42: "BATCH_FORGET", 43: "FALLOCATE",
    44: "READDIRPLUS", 45: "RENAME2", 46: "LSEEK", 47: "COPY_FILE_RANGE",
    48: "SETUPMAPPING", 49: "REMOVEMAPPING", 50: "SYNCFS", 51: "TMPFILE",
    52: "STATX", 53: "COPY_FILE_RANGE_64",
}

# fuzz_reply script operations (fuzz_reply.c).
OP_RAW, OP_INTERRUPT, OP_VALID, OP_DISCONNECT, OP_ERROR = 0, 4, 5, 6, 7
FIX_UNIQUE, FIX_INTR, NOTIFY, FIX_LEN = 1, 2, 3, 4


def fcap_records(path):
    data = open(path, "rb").read()
    assert data[:4] == b"FCAP"
    off = 8
    while off < len(data):
        direction, length = struct.unpack_from("<B3xI", data, off)
        off += 8
        yield direction, data[off:off + length]
        off += length


def pairs(path):
    """(request, reply) pairs of a capture, in reply order."""
    pending = {}
    for direction, msg in fcap_records(path):
        if direction == 0:
            _, opcode, unique = struct.unpack_from("<IIQ", msg, 0)
            pending[unique] = msg
        else:
            unique = struct.unpack_from("<Q", msg, 8)[0]
            if unique in pending:
                yield pending.pop(unique), msg


def out_header(error, unique, payload=b""):
    return struct.pack("<IiQ", 16 + len(payload), error, unique) + payload


def raw(target_k, mode, msg):
    if mode & 3 in (FIX_UNIQUE, FIX_INTR) and len(msg) >= 16:
        msg = msg[:8] + b"\0" * 8 + msg[16:]  # the harness puts the unique in
    return bytes([OP_RAW, (target_k << 3) | mode]) + struct.pack("<H", len(msg)) + msg


def write(name, data, seen):
    digest = hashlib.sha1(data).hexdigest()[:12]
    if digest in seen:
        return
    seen.add(digest)
    harness, base = name.split("/", 1)
    path = os.path.join(CORPUS, harness, "seed-%s-%s" % (base, digest))
    with open(path, "wb") as f:
        f.write(data)


def reply_seeds(captures):
    seen = set()
    for cap in captures:
        tag = os.path.basename(cap)[:-len(".fcap")].split("-")[-1]
        init_reply = None
        for req, rep in pairs(cap):
            opcode = struct.unpack_from("<I", req, 4)[0]
            name = OPCODES.get(opcode, "UNKNOWN")
            if name == "INIT":
                init_reply = rep
                continue
            if init_reply is None:
                continue
            shape = name
            body = req[40:]
            var_out, var_in = 4096, 0
            if name in ("GETXATTR", "LISTXATTR"):
                size = struct.unpack_from("<I", body, 0)[0]
                if size == 0:
                    shape = name + "_SIZE"
                else:
                    var_out = size
            if name in ("READ", "READDIR", "READDIRPLUS"):
                var_out = struct.unpack_from("<I", body, 16)[0]
            if name == "WRITE":
                var_in = struct.unpack_from("<I", body, 16)[0]
            if shape not in SHAPES:
                continue
            var_out = min(var_out, 0xFFFF)
            hdr = bytes([0, SHAPES.index(shape), 0]) + struct.pack("<HH", var_out, var_in)
            script = raw(0, FIX_UNIQUE | FIX_LEN, init_reply)
            script += raw(1, FIX_UNIQUE | FIX_LEN, rep)
            write("fuzz_reply/%s-%s" % (tag, shape.lower()), hdr + script, seen)
    return seen


def notify(code, payload):
    return raw(0, NOTIFY | FIX_LEN, out_header(code, 0, payload))


def handmade_reply_seeds(seen):
    valid_init = bytes([OP_VALID, 0]) + struct.pack("<H", 0)
    # Notifications of every code, well-formed, while a GETATTR is pending.
    notes = [
        notify(1, struct.pack("<Q", 7)),                                  # POLL
        notify(2, struct.pack("<Qqq", 1, 0, -1)),                         # INVAL_INODE
        notify(3, struct.pack("<QII", 1, 2, 0) + b"f1\0"),                # INVAL_ENTRY
        notify(4, struct.pack("<QQII", 2, 0, 4, 0) + b"data"),            # STORE
        notify(5, struct.pack("<QQQII", 9, 2, 0, 4096, 0)),               # RETRIEVE
        notify(6, struct.pack("<QQII", 1, 2, 2, 0) + b"f1\0"),            # DELETE
        notify(8, b""),                                                   # INC_EPOCH
        notify(9, struct.pack("<II", 2, 0) + struct.pack("<QQ", 2, 3)),   # PRUNE
    ]
    hdr = bytes([0, SHAPES.index("GETATTR"), 0]) + struct.pack("<HH", 0, 0)
    for i, n in enumerate(notes):
        write("fuzz_reply/notify%d" % i, hdr + valid_init + n +
              bytes([OP_VALID, 1]) + struct.pack("<H", 0) + b"\0" * 104, seen)
    # RESEND: the pending request comes again with bit 63 set; answer that.
    write("fuzz_reply/resend", hdr + valid_init + notify(7, b"") +
          bytes([OP_VALID, 2]) + struct.pack("<H", 0) + b"\0" * 104, seen)
    # Interrupt of a SETLKW: EAGAIN (resent), then the request ends EINTR.
    hdr = bytes([0, SHAPES.index("SETLKW"), 0]) + struct.pack("<HH", 0, 0)
    write("fuzz_reply/interrupt", hdr + valid_init + bytes([OP_INTERRUPT, 0]) +
          bytes([OP_VALID, 2]) + struct.pack("<H", 11) +   # INTERRUPT reply -EAGAIN
          bytes([OP_VALID, 3]) + struct.pack("<H", 4) +    # the resent one: -EINTR
          bytes([OP_ERROR, 1]) + struct.pack("<H", 4), seen)
    # Three background requests and a sync one, answered out of order.
    for cfg in (0x00, 0x10, 0x50):
        hdr = bytes([cfg, SHAPES.index("READ"), 3]) + struct.pack("<HH", 4096, 0)
        hdr += bytes([SHAPES.index("GETATTR"), SHAPES.index("RELEASE"), SHAPES.index("FLUSH")])
        script = valid_init
        for k in (4, 2, 1, 3):
            script += bytes([OP_VALID, k]) + struct.pack("<H", 100) + bytes(range(100)) + b"\0" * 100
        script += bytes([OP_ERROR, 2]) + struct.pack("<H", 2)  # a duplicate
        write("fuzz_reply/background-%02x" % cfg, hdr + script, seen)
    # ENOSYS cached for OPEN: the second OPEN never leaves.
    hdr = bytes([0, SHAPES.index("OPEN"), 1]) + struct.pack("<HH", 0, 0) + bytes([SHAPES.index("OPEN")])
    write("fuzz_reply/enosys", hdr + valid_init + bytes([OP_ERROR, 1]) + struct.pack("<H", 38), seen)
    # A daemon that dies with requests pending.
    hdr = bytes([0, SHAPES.index("LOOKUP"), 2]) + struct.pack("<HH", 0, 0) + bytes([2, 13])
    write("fuzz_reply/disconnect", hdr + valid_init + bytes([OP_DISCONNECT]), seen)


def init_seeds(captures):
    seen = set()
    inits = []
    for cap in captures:
        for req, rep in pairs(cap):
            if struct.unpack_from("<I", req, 4)[0] == 26:
                inits.append(rep)
    limits = struct.pack("<QHHHI", 0, 256, 12, 9, 131072)
    for rep in inits:
        payload = rep[16:]
        for cfg in (0x00, 0x01, 0x08, 0x12, 0x24, 0x40):
            data = bytes([cfg, 0]) + limits + struct.pack("<H", len(payload)) + payload + bytes([13])
            write("fuzz_init/capture", data, seen)
        # The whole captured message, unique fixed.
        write("fuzz_init/raw", bytes([0x20, 0x03]) + limits + struct.pack("<H", len(rep)) + rep + bytes([3]), seen)
    # Compat-sized replies (minor < 5: 8 bytes; < 23: 24 bytes) and today's.
    for minor, size in ((4, 8), (12, 24), (22, 24), (45, 64)):
        o = struct.pack("<IIIIHHIIHHI", 7, minor, 65536, 0x40000000 | 0x400023, 16, 12, 131072, 1, 64, 0, 0)
        o += struct.pack("<I", 0x200) + b"\0" * 28
        o = o[:64]
        write("fuzz_init/minor%d" % minor, bytes([0x30, 0]) + limits + struct.pack("<H", size) + o[:size] + bytes([20]), seen)
    # An error reply and a reply of another major.
    write("fuzz_init/error", bytes([0, 0x08 | (5 << 4)]) + limits + struct.pack("<H", 0), seen)
    write("fuzz_init/major8", bytes([0, 0]) + limits + struct.pack("<H", 8) + struct.pack("<II", 8, 0), seen)


def main():
    captures = sorted(os.path.join(VECTORS, f) for f in os.listdir(VECTORS) if f.endswith(".fcap"))
    for h in ("fuzz_reply", "fuzz_init", "fuzz_stack"):
        os.makedirs(os.path.join(CORPUS, h), exist_ok=True)
    seen = reply_seeds(captures)
    handmade_reply_seeds(seen)
    init_seeds(captures)
    stack_seeds()
    write_dicts()
    return 0



# ---- fuzz_stack programs ---------------------------------------------------------

# fuzz_stack.c run_op() numbering and operands (keep in sync).
LOOKUP, GETATTR, SETATTR, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR, RENAME, \
    READLINK, OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC, READDIR, STATFS, \
    ACCESS, STATX, XATTR, LOCK, FILEIO, PUT, FLUSH_FORGETS, TIME, FIND, SETFL, VM = range(31)
VM_MMAP, VM_LOAD, VM_STORE, VM_MSYNC, VM_UNMAP, VM_WRITEBACK, VM_SIMWB = range(7)
CACHE = 2                      # kind byte: page-cache mode
WRITEBACK_CACHE = 1 << 16      # granted-flags xor: FUSE_WRITEBACK_CACHE
NAME = {"a": 0, "b": 1, "dir": 2, "f0": 3, "dsub": 4, ".": 5, "..": 6, "x/y": 7}
ROOT = 0


def u16(v):
    return struct.pack("<H", v)


def stack_program(minor=0, kind=0, ops=b"", answers=b"", grant_xor=0):
    prog = bytes([minor, kind]) + struct.pack("<I", grant_xor) + ops
    return u16(len(prog)) + prog + answers


def stack_seeds():
    seen = set()
    n = NAME
    file_io = (bytes([LOOKUP, ROOT, n["a"]]) + bytes([OPEN, 1, 2]) +
               bytes([WRITE, 0]) + u16(5000) + u16(0) + bytes([0]) +
               bytes([READ, 0]) + u16(8192) + u16(0) + bytes([0]) +
               bytes([READ, 0]) + u16(300) + u16(4000) + bytes([1]) +
               bytes([FSYNC, 0, 1, FLUSH, 0, RELEASE, 0]) +
               bytes([GETATTR, 1, 1, SETATTR, 1, 0x08]) + u16(100) + bytes([PUT, 1]))
    dirs = (bytes([MKDIR, ROOT, n["dir"]]) + bytes([OPEN, 1, 4]) +
            bytes([READDIR, 0, 0]) + u16(4096) + bytes([1]) +
            bytes([READDIR, 0, 0]) + u16(4096) + bytes([0]) +
            bytes([READDIR, 0, 0]) + u16(4096) + bytes([3]) +
            bytes([RELEASE, 0]) +
            bytes([CREATE, 1, n["f0"], 0]) +
            bytes([RENAME, 1, ROOT, n["f0"], n["b"], 0]) +
            bytes([RENAME, 1, ROOT, n["a"], n["b"], 1]) +
            bytes([UNLINK, ROOT, n["b"], RMDIR, ROOT, n["dir"]]) +
            bytes([PUT, 1, FLUSH_FORGETS]))
    names = (bytes([SYMLINK, ROOT, n["a"], READLINK, 1, 200]) +
             bytes([MKNOD, ROOT, n["b"], 1, LINK, 1, ROOT, n["f0"]]) +
             bytes([STATFS, 1, ACCESS, 1, 4, STATX, 1]) +
             bytes([LOOKUP, ROOT, n["x/y"], LOOKUP, ROOT, n["."], LOOKUP, ROOT, 0x1f]) +
             bytes([TIME, 50, 1, GETATTR, 2, 0, FIND, 0, FIND, 1]))
    xattrs = b"".join(bytes([XATTR, sub, ROOT, 0]) + u16(size) + bytes([0])
                      for sub in range(4) for size in (0, 64))
    locks = (bytes([LOOKUP, ROOT, n["a"], OPEN, 1, 2]) +
             bytes([LOCK, 0, 0, 1]) + u16(0) + bytes([1]) + u16(0) +
             bytes([LOCK, 1, 0, 0]) + u16(10) + bytes([0]) + u16(20) +
             bytes([LOCK, 9, 0, 1]) + u16(0) + bytes([1]) + u16(0) +
             bytes([LOCK, 2, 0, 0]) + u16(0) + bytes([0]) + u16(0) + bytes([2]) +
             bytes([RELEASE, 0]))
    fileio = (bytes([LOOKUP, ROOT, n["a"], OPEN, 1, 2, LOOKUP, ROOT, n["b"], OPEN, 2, 2]) +
              bytes([FILEIO, 0, 0, 1]) + u16(0) + bytes([0]) +
              bytes([FILEIO, 1, 0, 1]) + u16(0) + bytes([0]) + u16(4096) +
              bytes([FILEIO, 2, 0, 1]) + u16(0) + u16(0) + u16(100) +
              bytes([FILEIO, 3, 0, 1]) + u16(0) + bytes([16]) + u16(0x5401) + bytes([8]) +
              bytes([FILEIO, 4, 0, 1]) + u16(0) + bytes([1]) +
              bytes([SETFL, 0, 1, WRITE, 0]) + u16(10) + u16(0) + bytes([0]) +
              bytes([RELEASE, 0, RELEASE, 1]))
    for tag, ops in (("file-io", file_io), ("dirs", dirs), ("names", names),
                     ("xattrs", xattrs), ("locks", locks), ("fileio", fileio)):
        for minor in (0, 3, 7):
            write("fuzz_stack/%s-m%d" % (tag, minor), stack_program(minor, 0, ops), seen)
        write("fuzz_stack/%s-virtio" % tag, stack_program(0, 1, ops), seen)
    # A hostile daemon for the directory program: READDIRPLUS entries that
    # reuse nodeids (stale generations), '.' with a nodeid, errors, silence.
    hostile = (bytes([0, 0]) +                     # MKDIR: plausible, fresh nodeid
               bytes([0, 0, 0]) +                  # OPENDIR
               bytes([0, 0x87]) + bytes([0x0b, 0x01, 0x02, 0x09, 0x19, 0x01, 0x00]) +
               bytes([4, 5, 6, 3, 7]))
    write("fuzz_stack/dirs-hostile", stack_program(0, 0, dirs, hostile), seen)
    # The page cache: cached writes and reads, fsync, a shared mapping with
    # stores, msync and loads, close; write-through and writeback-cache
    # modes, a cache of 4 pages (eviction) and of 1024.
    cached = (bytes([LOOKUP, ROOT, n["a"], OPEN, 1, 2]) +
              bytes([WRITE, 0]) + u16(10000) + u16(0) + bytes([0]) +
              bytes([FSYNC, 0, 0]) +
              bytes([READ, 0]) + u16(12000) + u16(0) + bytes([0]) +
              bytes([VM, VM_MMAP, 0, 3, 0, 3]) +
              bytes([VM, VM_STORE, 0]) + u16(100) + u16(5000) +
              bytes([VM, VM_MSYNC, 0]) + u16(0) + u16(16384) + bytes([4]) +
              bytes([VM, VM_LOAD, 0]) + u16(0) + u16(8192) +
              bytes([WRITE, 0]) + u16(3000) + u16(9000) + bytes([0]) +
              bytes([VM, VM_WRITEBACK, 1, 1, VM, VM_SIMWB, 1]) +
              bytes([SETATTR, 1, 0x08]) + u16(7000) +
              bytes([VM, VM_STORE, 0]) + u16(4000) + u16(100) +
              bytes([VM, VM_UNMAP, 0, FLUSH, 0, RELEASE, 0]) +
              bytes([OPEN, 1, 0, READ, 0]) + u16(8000) + u16(0) + bytes([0]) +
              bytes([VM, VM_MMAP, 0, 5, 0, 1, VM, VM_STORE, 0]) + u16(10) + u16(10) +
              bytes([VM, VM_LOAD, 0]) + u16(0) + u16(100) + bytes([RELEASE, 0]))
    for tag, kind, gx in (("cache-wt", CACHE | (3 << 2), 0), ("cache-wt-small", CACHE, 0),
                          ("cache-wb", CACHE | (3 << 2), WRITEBACK_CACHE),
                          ("cache-wb-small", CACHE | (1 << 2), WRITEBACK_CACHE)):
        write("fuzz_stack/%s" % tag, stack_program(0, kind, cached, b"", gx), seen)
    # Writeback WRITEs that fail: the next fsync must say so.
    failing = (bytes([LOOKUP, ROOT, n["a"], OPEN, 1, 2]) +
               bytes([WRITE, 0]) + u16(5000) + u16(0) + bytes([0]) +
               bytes([FSYNC, 0, 0, FLUSH, 0, RELEASE, 0]))
    answers = bytes([0, 0, 0, 0, 0, 0]) + bytes([4, 1] * 4)
    write("fuzz_stack/cache-wb-eio", stack_program(0, CACHE | (3 << 2), failing, answers,
                                                   WRITEBACK_CACHE), seen)
    # The VFS mode: system calls on /mnt by a user process (kind bit 0x20).
    def pth(*names):
        return bytes([len(names)] + [n[x] for x in names])
    V_OPEN, V_CLOSE, V_PREAD, V_PWRITE, V_READ, V_WRITE, V_LSEEK, V_FSYNC, V_TRUNC, \
        V_STAT, V_MKDIR, V_RMDIR, V_UNLINK, V_RENAME, V_LINK, V_SYMLINK, V_READLINK, \
        V_GETDENTS, V_FALLOC, V_XATTR, V_LOCK, V_CWD, V_DUP, V_MMAP, V_LDST, V_MSYNC, \
        V_MUNMAP, V_DROP, V_META, V_COPY = range(30)
    vfs = (bytes([V_OPEN]) + pth("a") + bytes([2]) +
           bytes([V_PWRITE]) + u16(5000) + u16(0) + bytes([0]) +
           bytes([V_PREAD]) + u16(6000) + u16(0) + bytes([0]) +
           bytes([V_FSYNC, 0, 0]) +
           bytes([V_MKDIR]) + pth("dir") +
           bytes([V_OPEN]) + pth("dir") + bytes([4]) +
           bytes([V_GETDENTS]) + u16(4096) + bytes([1]) +
           bytes([V_CLOSE, 1]) +
           bytes([V_MMAP, 3, 0, 1, 0]) +
           bytes([V_LDST, 0, 1]) + u16(10) + u16(100) +
           bytes([V_MSYNC, 0]) + u16(0) + u16(4096) + bytes([4]) +
           bytes([V_LDST, 0, 0]) + u16(0) + u16(200) +
           bytes([V_MUNMAP, 0]) +
           bytes([V_WRITE]) + u16(300) + bytes([0]) +
           bytes([V_LSEEK]) + u16(0) + bytes([0, 0]) +
           bytes([V_READ]) + u16(400) + bytes([0]) +
           bytes([V_RENAME]) + pth("a") + pth("b") + bytes([0]) +
           bytes([V_STAT, 0]) + pth("b") +
           bytes([V_TRUNC]) + u16(100) + bytes([0, 0]) +
           bytes([V_XATTR, 0, 0]) + pth("b") +
           bytes([V_XATTR, 1, 64]) + pth("b") +
           bytes([V_LOCK, 1, 0, 10, 0]) + bytes([V_LOCK, 0x30, 0, 0, 0]) +
           bytes([V_CWD, 0]) + pth("dir") + bytes([V_CWD, 0x81]) +
           bytes([V_DUP, 0, V_CLOSE, 0]) +
           bytes([V_SYMLINK]) + pth("f0") + bytes([V_READLINK, 100]) + pth("f0") +
           bytes([V_DROP, 1, 10, V_META, 0]) + pth("b") +
           bytes([V_UNLINK]) + pth("b") + bytes([V_RMDIR]) + pth("dir"))
    for tag, kind, gx in (("vfs", 0x20, 0), ("vfs-cache-wt", 0x20 | CACHE | (3 << 2), 0),
                          ("vfs-cache-wb", 0x20 | CACHE | (3 << 2), WRITEBACK_CACHE),
                          ("vfs-root-dp", 0x20 | 0x40 | 0x80 | CACHE, 0)):
        write("fuzz_stack/%s" % tag, stack_program(0, kind, vfs, b"", gx), seen)


# ---- Dictionaries ------------------------------------------------------------

def esc(b):
    return "".join("\\x%02x" % c for c in b)


def dict_lines():
    lines = ["# Generated by fuzz/mkseeds.py: opcodes, notification codes, errors,",
             "# message and structure sizes, INIT fields, as the wire has them."]
    for code, name in sorted(OPCODES.items()):
        lines.append('op_%s="%s"' % (name.lower(), esc(struct.pack("<I", code))))
    for code, name in enumerate(["poll", "inval_inode", "inval_entry", "store", "retrieve",
                                 "delete", "resend", "inc_epoch", "prune"], 1):
        lines.append('notify_%s="%s"' % (name, esc(struct.pack("<i", code))))
    for name, err in (("enoent", 2), ("eio", 5), ("eintr", 4), ("eagain", 11), ("enosys", 38),
                      ("erange", 34), ("enametoolong", 36), ("eperm", 1), ("max", 511), ("over", 512)):
        lines.append('err_%s="%s"' % (name, esc(struct.pack("<i", -err))))
    # Sizes: headers, replies, structures, page and request limits.
    for size in (8, 16, 24, 32, 40, 48, 56, 64, 80, 88, 96, 104, 120, 128, 144, 152, 256, 288,
                 4095, 4096, 4097, 8192, 131072, 1048576):
        lines.append('size_%d="%s"' % (size, esc(struct.pack("<I", size))))
        lines.append('size16_%d="%s"' % (size, esc(struct.pack("<H", size & 0xFFFF))))
    lines.append('unique_init="%s"' % esc(struct.pack("<Q", 2)))
    lines.append('unique_resend="%s"' % esc(struct.pack("<Q", 1 << 63)))
    lines.append('major7_minor45="%s"' % esc(struct.pack("<II", 7, 45)))
    lines.append('major7_minor31="%s"' % esc(struct.pack("<II", 7, 31)))
    lines.append('init_ext="%s"' % esc(struct.pack("<I", 1 << 30)))
    lines.append('init_flags_linux="%s"' % esc(struct.pack("<II", 0x73fffffb, 0x5fd)))
    lines.append('time_gran_max="%s"' % esc(struct.pack("<I", 1000000000)))
    lines.append('u16_max="\\xff\\xff"')
    lines.append('u32_max="\\xff\\xff\\xff\\xff"')
    return lines


def write_dicts():
    for h in ("fuzz_reply", "fuzz_init", "fuzz_stack"):
        with open(os.path.join(TOP, "fuzz", h + ".dict"), "w") as f:
            f.write("\n".join(dict_lines()) + "\n")


if __name__ == "__main__":
    sys.exit(main())
