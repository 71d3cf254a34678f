#!/usr/bin/env python3
"""Record real iSCSI exchanges with a target as codec test data.

A minimal iSCSI initiator (RFC 7143) that logs in, runs a few SCSI
commands and logs out, recording every PDU exactly as sent/received on the
TCP connection. Used to produce codec/tests/data/*.txt; see
codec/tests/capture/capture-tgt.sh for how the target is set up.

Output format (read by codec/tests/common/mod.rs):
    # comment
    @ <I|T> hd=<0|1> dd=<0|1> <description>
    <hex of the whole PDU: BHS, AHS, header digest, data, padding, data digest>
I = initiator -> target, T = target -> initiator; hd/dd say whether header
and data digests are present on that PDU.
"""
import socket
import struct
import sys

# ---------------------------------------------------------------- CRC32C
_T = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(bytes(32)) == 0x8A9136AA


def pad4(n):
    return (4 - n % 4) % 4


def kv(*pairs):
    return b"".join(f"{k}={v}".encode() + b"\0" for k, v in pairs)


def parse_kv(data):
    out = {}
    for item in data.split(b"\0"):
        if item:
            k, _, v = item.partition(b"=")
            out[k.decode()] = v.decode()
    return out


class Conn:
    def __init__(self, host, port, rec):
        self.s = socket.create_connection((host, port), timeout=10)
        self.rec = rec
        self.hd = False
        self.dd = False

    def send(self, bhs, data=b"", ahs=b"", desc=""):
        bhs = bytearray(bhs)
        assert len(bhs) == 48
        bhs[4] = len(ahs) // 4
        bhs[5:8] = struct.pack(">I", len(data))[1:]
        pdu = bytes(bhs) + ahs
        if self.hd:
            pdu += struct.pack("<I", crc32c(bytes(bhs) + ahs))
        padded = data + bytes(pad4(len(data)))
        pdu += padded
        if self.dd and data:
            pdu += struct.pack("<I", crc32c(padded))
        self.s.sendall(pdu)
        self.rec.append(("I", self.hd, self.dd and bool(data), desc, pdu))

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return buf

    def recv(self, desc=""):
        bhs = self._read(48)
        ahs_len = bhs[4] * 4
        dsl = struct.unpack(">I", b"\0" + bhs[5:8])[0]
        ahs = self._read(ahs_len)
        rest = bhs + ahs
        if self.hd:
            d = self._read(4)
            assert struct.unpack("<I", d)[0] == crc32c(bhs + ahs), "header digest"
            rest += d
        padded = self._read(dsl + pad4(dsl))
        rest += padded
        if self.dd and dsl:
            d = self._read(4)
            assert struct.unpack("<I", d)[0] == crc32c(padded), "data digest"
            rest += d
        op = bhs[0] & 0x3F
        self.rec.append(("T", self.hd, self.dd and dsl > 0, desc or f"opcode {op:#04x}", rest))
        return bhs, padded[:dsl]


def be32(b, off):
    return struct.unpack(">I", b[off:off + 4])[0]


class Session:
    def __init__(self, conn, initiator, isid):
        self.c = conn
        self.initiator = initiator
        self.isid = isid
        self.itt = 0x10
        self.cmd_sn = 1
        self.exp_stat_sn = 0
        self.tsih = 0
        self.keys = {}  # the target's answers/declarations at login

    def next_itt(self):
        self.itt += 1
        return self.itt

    def update(self, bhs):
        op = bhs[0] & 0x3F
        has_status = op != 0x25 or bhs[1] & 0x01
        if op in (0x21, 0x22, 0x23, 0x24, 0x26, 0x20, 0x25, 0x3F, 0x32) and has_status:
            stat_sn = be32(bhs, 24)
            if not (op == 0x20 and be32(bhs, 16) == 0xFFFFFFFF):
                self.exp_stat_sn = (stat_sn + 1) & 0xFFFFFFFF

    def login_pdu(self, csg, nsg, transit, data, desc, cont=False):
        itt = self.itt
        bhs = bytearray(48)
        bhs[0] = 0x43
        bhs[1] = (0x80 if transit else 0) | (0x40 if cont else 0) | (csg << 2) | (nsg if transit else 0)
        bhs[2] = 0
        bhs[3] = 0
        bhs[8:14] = self.isid
        bhs[14:16] = struct.pack(">H", self.tsih)
        bhs[16:20] = struct.pack(">I", itt)
        bhs[20:22] = struct.pack(">H", 0)  # CID
        bhs[24:28] = struct.pack(">I", self.cmd_sn)
        bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
        self.c.send(bhs, data, desc=desc)
        rb, rd = self.c.recv(desc="Login Response to: " + desc)
        assert rb[0] & 0x3F == 0x23, rb[0]
        assert rb[36] == 0, f"login failed {rb[36]:#x}/{rb[37]:#x} {parse_kv(rd)}"
        self.tsih = struct.unpack(">H", rb[14:16])[0]
        self.update(rb)
        return rb, rd

    def login(self, target, discovery=False, op_keys=()):
        base = [("InitiatorName", self.initiator)]
        if discovery:
            base.append(("SessionType", "Discovery"))
        else:
            base += [("TargetName", target), ("SessionType", "Normal")]
        base.append(("AuthMethod", "None"))
        rb, rd = self.login_pdu(0, 1, True, kv(*base), "Login Request SecurityNegotiation -> LoginOperationalNegotiation")
        rb, rd = self.login_pdu(1, 3, True, kv(*op_keys), "Login Request LoginOperationalNegotiation -> FullFeaturePhase")
        keys = parse_kv(rd)
        # A target may answer with keys of its own and stay in the stage (LIO
        # does when it offers values we must acknowledge): one more round,
        # answering its offers with its own values.
        rounds = 0
        while not (rb[1] & 0x80 and rb[1] & 3 == 3):
            rounds += 1
            assert rounds < 4, "target did not transit to FFP"
            declarative = {"TargetAlias", "TargetPortalGroupTag", "TargetAddress", "MaxRecvDataSegmentLength"}
            answer = [(k, v) for k, v in parse_kv(rd).items() if k not in dict(op_keys) and k not in declarative]
            rb, rd = self.login_pdu(1, 3, True, kv(*answer), "Login Request LoginOperationalNegotiation (answer) -> FullFeaturePhase")
            keys.update(parse_kv(rd))
        self.keys = keys
        return keys

    def _immediate_request(self, opcode, data, desc, answer):
        """Send an immediate request with F set, a new ITT and TTT
        0xffffffff (Text Request, NOP-Out ping); return its answer."""
        itt = self.next_itt()
        bhs = bytearray(48)
        bhs[0] = opcode | 0x40
        bhs[1] = 0x80
        bhs[16:20] = struct.pack(">I", itt)
        bhs[20:24] = struct.pack(">I", 0xFFFFFFFF)
        bhs[24:28] = struct.pack(">I", self.cmd_sn)
        bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
        self.c.send(bhs, data, desc=desc)
        rb, rd = self.c.recv(desc=answer + desc)
        self.update(rb)
        return rb, rd

    def text(self, data, desc):
        return self._immediate_request(0x04, data, desc, "Text Response to: ")

    def nop(self, data, desc):
        return self._immediate_request(0x00, data, desc, "NOP-In answering: ")

    def scsi(self, lun, cdb, read_len=0, write_data=None, desc="", immediate_len=0, unsolicited=False,
             first_burst=65536, max_out=8192, ahs_cdb=None):
        """Run one SCSI command; returns (status, sense/response data, read data)."""
        # Send only as much immediate/unsolicited data as negotiated, in PDUs
        # no larger than the target's MaxRecvDataSegmentLength (RFC 7143
        # 13.10-13.14; defaults from the RFC where the target said nothing).
        # LIO enforces this (unsolicited Data-Out under InitialR2T=Yes is a
        # protocol error that drops the connection); tgt 1.0.85 accepted it.
        k = self.keys
        mrdsl = int(k.get("MaxRecvDataSegmentLength", 8192))
        max_out = min(max_out, mrdsl)
        first_burst = min(first_burst, int(k.get("FirstBurstLength", 65536)))
        if k.get("ImmediateData", "Yes") != "Yes":
            immediate_len = 0
        immediate_len = min(immediate_len, first_burst, mrdsl)
        if k.get("InitialR2T", "Yes") != "No":
            unsolicited = False
        itt = self.next_itt()
        bhs = bytearray(48)
        bhs[0] = 0x01
        write_len = len(write_data) if write_data is not None else 0
        imm = write_data[:immediate_len] if write_data is not None else b""
        flags = 0x01  # ATTR simple
        if read_len:
            flags |= 0x40
        if write_len:
            flags |= 0x20
        # F: no unsolicited Data-Out will follow the command
        if not unsolicited or len(imm) == write_len:
            flags |= 0x80
        bhs[1] = flags
        bhs[8:16] = struct.pack(">Q", lun << 48)
        bhs[16:20] = struct.pack(">I", itt)
        bhs[20:24] = struct.pack(">I", read_len or write_len)
        bhs[24:28] = struct.pack(">I", self.cmd_sn)
        bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
        bhs[32:48] = cdb[:16].ljust(16, b"\0")
        ahs = b""
        if ahs_cdb is not None:
            ext = cdb[16:]
            body = struct.pack(">HBB", len(ext) + 1, 1, 0) + ext
            ahs = body + bytes(pad4(len(body)))
        self.c.send(bhs, imm, ahs=ahs, desc=desc)
        self.cmd_sn += 1
        sent = len(imm)
        if unsolicited and sent < write_len:
            end = min(write_len, first_burst)
            self._data_out(itt, lun, 0xFFFFFFFF, write_data, sent, end - sent, max_out, "unsolicited")
            sent = end
        read = bytearray(read_len)
        while True:
            rb, rd = self.c.recv(desc="")
            op = rb[0] & 0x3F
            rec = self.c.rec[-1]
            if op == 0x31:
                ttt = be32(rb, 20)
                off = be32(rb, 40)
                ln = be32(rb, 44)
                self.c.rec[-1] = rec[:3] + (f"R2T for: {desc} (offset {off}, length {ln})",) + rec[4:]
                self._data_out(itt, lun, ttt, write_data, off, ln, max_out, "solicited")
                continue
            if op == 0x25:
                off = be32(rb, 40)
                read[off:off + len(rd)] = rd
                s = bool(rb[1] & 1)
                self.c.rec[-1] = rec[:3] + (f"Data-In for: {desc} (offset {off}, {len(rd)} bytes{', with status' if s else ''})",) + rec[4:]
                if s:
                    self.update(rb)
                    return rb[3], b"", bytes(read)
                continue
            if op == 0x21:
                self.c.rec[-1] = rec[:3] + (f"SCSI Response to: {desc} (status {rb[3]:#04x})",) + rec[4:]
                self.update(rb)
                return rb[3], rd, bytes(read)
            if op == 0x3F:
                self.c.rec[-1] = rec[:3] + (f"Reject of: {desc} (reason {rb[2]:#04x})",) + rec[4:]
                self.update(rb)
                return None, rd, b""
            raise RuntimeError(f"unexpected opcode {op:#x}")

    def _data_out(self, itt, lun, ttt, data, off, ln, max_out, kind):
        data_sn = 0
        end = off + ln
        while off < end:
            n = min(max_out, end - off)
            bhs = bytearray(48)
            bhs[0] = 0x05
            bhs[1] = 0x80 if off + n == end else 0
            bhs[8:16] = struct.pack(">Q", lun << 48)
            bhs[16:20] = struct.pack(">I", itt)
            bhs[20:24] = struct.pack(">I", ttt)
            bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
            bhs[36:40] = struct.pack(">I", data_sn)
            bhs[40:44] = struct.pack(">I", off)
            self.c.send(bhs, data[off:off + n], desc=f"Data-Out ({kind}, DataSN {data_sn}, offset {off}, {n} bytes)")
            off += n
            data_sn += 1

    def tmf(self, function, lun, ref_itt, ref_cmd_sn, desc):
        itt = self.next_itt()
        bhs = bytearray(48)
        bhs[0] = 0x02 | 0x40
        bhs[1] = 0x80 | function
        bhs[8:16] = struct.pack(">Q", lun << 48)
        bhs[16:20] = struct.pack(">I", itt)
        bhs[20:24] = struct.pack(">I", ref_itt)
        bhs[24:28] = struct.pack(">I", self.cmd_sn)
        bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
        bhs[32:36] = struct.pack(">I", ref_cmd_sn)
        self.c.send(bhs, desc=desc)
        rb, rd = self.c.recv(desc="Task Management Function Response to: " + desc)
        self.update(rb)
        return rb

    def logout(self, desc="Logout Request (close session)"):
        itt = self.next_itt()
        bhs = bytearray(48)
        bhs[0] = 0x06 | 0x40
        bhs[1] = 0x80 | 0
        bhs[16:20] = struct.pack(">I", itt)
        bhs[24:28] = struct.pack(">I", self.cmd_sn)
        bhs[28:32] = struct.pack(">I", self.exp_stat_sn)
        self.c.send(bhs, desc=desc)
        rb, rd = self.c.recv(desc="Logout Response")
        return rb


def write_records(path, header, rec):
    with open(path, "w") as f:
        for line in header:
            f.write(f"# {line}\n")
        for d, hd, dd, desc, pdu in rec:
            f.write(f"@ {d} hd={int(hd)} dd={int(dd)} {desc}\n")
            h = pdu.hex()
            for i in range(0, len(h), 64):
                f.write(h[i:i + 64] + "\n")


def main():
    host, port, target, outdir, version = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    # Output files are <prefix>-discovery.txt, <prefix>-session.txt, <prefix>-digests.txt.
    prefix = sys.argv[6] if len(sys.argv) > 6 else "tgt"
    lun_desc = sys.argv[7] if len(sys.argv) > 7 else "LUN 1 = 1 MiB file"
    initiator = "iqn.2026-11.test.codec:capture"
    header = [f"Captured from {version} on {host}:{port}, target {target}, {lun_desc}.",
              "Client: codec/tests/capture/iscsi_capture.py (recorded at the socket, byte-exact).",
              "Format: '@ <I|T> hd=<0|1> dd=<0|1> <what>' then the whole PDU in hex."]

    # --- 1: discovery session: SendTargets
    rec = []
    s = Session(Conn(host, port, rec), initiator, bytes([0x80, 0x12, 0x34, 0x56, 0x00, 0x01]))
    s.login(target, discovery=True, op_keys=[("HeaderDigest", "None"), ("DataDigest", "None"),
                                             ("MaxRecvDataSegmentLength", "8192")])
    s.text(kv(("SendTargets", "All")), "Text Request SendTargets=All")
    s.logout()
    write_records(f"{outdir}/{prefix}-discovery.txt", header + ["Discovery session: login, SendTargets=All, logout."], rec)

    # --- 2: normal session without digests, R2T-driven writes
    rec = []
    s = Session(Conn(host, port, rec), initiator, bytes([0x80, 0x12, 0x34, 0x56, 0x00, 0x02]))
    s.login(target, op_keys=[("HeaderDigest", "None"), ("DataDigest", "None"),
                             ("MaxRecvDataSegmentLength", "4096"), ("InitialR2T", "Yes"),
                             ("ImmediateData", "No"), ("MaxBurstLength", "16384"),
                             ("FirstBurstLength", "8192"), ("MaxOutstandingR2T", "1"),
                             ("ErrorRecoveryLevel", "0"), ("DefaultTime2Wait", "2"),
                             ("DefaultTime2Retain", "0")])
    s.nop(b"ping", "NOP-Out ping with 4 bytes of data")
    st, sense, _ = s.scsi(1, bytes([0x00, 0, 0, 0, 0, 0]), desc="TEST UNIT READY LUN 1")
    if st == 2:  # unit attention on first access
        st, sense, _ = s.scsi(1, bytes([0x00, 0, 0, 0, 0, 0]), desc="TEST UNIT READY LUN 1 (again)")
    s.scsi(1, bytes([0x12, 0, 0, 0, 96, 0]), read_len=96, desc="INQUIRY LUN 1, 96 bytes")
    s.scsi(1, bytes([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]), read_len=8, desc="READ CAPACITY(10) LUN 1")
    pattern = bytes((i * 7 + 3) & 0xFF for i in range(16 * 512))
    s.scsi(1, bytes([0x2A, 0, 0, 0, 0, 8, 0, 0, 16, 0]), write_data=pattern, desc="WRITE(10) LBA 8, 16 blocks",
           max_out=4096)
    st, _, data = s.scsi(1, bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 16, 0]), read_len=8192,
                         desc="READ(10) LBA 8, 16 blocks")
    assert data == pattern, "read back mismatch"
    s.scsi(1, bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]), read_len=512, desc="READ(10) LBA 0, 1 block")
    s.scsi(1, bytes([0xFF, 0, 0, 0, 0, 0]), desc="unsupported opcode 0xff (CHECK CONDITION)")
    s.scsi(1, bytes([0x28, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0]), read_len=512, desc="READ(10) beyond the end (CHECK CONDITION)")
    cdb32 = bytes([0x7F, 0, 0, 0, 0, 0, 0, 0x18]) + bytes(24)
    s.scsi(1, cdb32, desc="32-byte variable-length CDB via Extended CDB AHS", ahs_cdb=True)
    s.tmf(1, 1, 0x7777, s.cmd_sn, "ABORT TASK of unknown ITT 0x7777")
    # (tgt 1.0.85 drops the connection on a Text Request in a normal session)
    s.logout()
    write_records(f"{outdir}/{prefix}-session.txt", header + ["Normal session, no digests: NOP, TUR, INQUIRY, READ CAPACITY,",
                                                        "WRITE(10) with R2T, READ(10), errors, extended CDB, TMF, logout."], rec)

    # --- 3: normal session with header and data digests, immediate + unsolicited data
    rec = []
    c = Conn(host, port, rec)
    s = Session(c, initiator, bytes([0x80, 0x12, 0x34, 0x56, 0x00, 0x03]))
    keys = s.login(target, op_keys=[("HeaderDigest", "CRC32C"), ("DataDigest", "CRC32C"),
                             ("MaxRecvDataSegmentLength", "8192"), ("InitialR2T", "No"),
                             ("ImmediateData", "Yes"), ("MaxBurstLength", "262144"),
                             ("FirstBurstLength", "65536"), ("ErrorRecoveryLevel", "0")])
    assert keys.get("HeaderDigest") == "CRC32C" and keys.get("DataDigest") == "CRC32C", keys
    c.hd = c.dd = True
    s.nop(b"digest", "NOP-Out ping with 6 bytes of data (padded)")
    st, sense, _ = s.scsi(1, bytes([0x00, 0, 0, 0, 0, 0]), desc="TEST UNIT READY LUN 1")
    s.scsi(1, bytes([0x12, 0, 0, 0, 36, 0]), read_len=36, desc="INQUIRY LUN 1, 36 bytes")
    pattern = bytes((i * 13 + 1) & 0xFF for i in range(4 * 512))
    s.scsi(1, bytes([0x2A, 0, 0, 0, 0, 32, 0, 0, 4, 0]), write_data=pattern, immediate_len=1024, unsolicited=True,
           max_out=512, desc="WRITE(10) LBA 32, 4 blocks: 1024 bytes immediate + unsolicited Data-Out")
    st, _, data = s.scsi(1, bytes([0x28, 0, 0, 0, 0, 32, 0, 0, 4, 0]), read_len=2048,
                         desc="READ(10) LBA 32, 4 blocks")
    assert data == pattern, "read back mismatch (digest session)"
    s.logout()
    write_records(f"{outdir}/{prefix}-digests.txt", header + ["Normal session with HeaderDigest=CRC32C and DataDigest=CRC32C",
                                                        "after login: NOP, TUR, INQUIRY, WRITE with immediate and",
                                                        "unsolicited data, READ, logout."], rec)
    print("ok")


if __name__ == "__main__":
    main()
