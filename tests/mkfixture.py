#!/usr/bin/env python3
"""Make the unzipd test inputs at test time, from reports we write.

    mkfixture.py KIND OUT [ARGS...]

KINDs (IN is an XML file, ARGS as noted):
  gz OUT IN                 gzip of IN
  gzgz OUT IN               gzip of a gzip of IN
  gzgzgz OUT IN             three gzip layers
  multigz OUT IN IN2        two gzip members, one after the other
  zip OUT NAME=IN...        zip with members NAME holding IN's bytes
  zipgz OUT IN              gzip of a zip holding IN
  liarzip OUT IN            zip whose headers understate IN's size
  enczip OUT IN             zip whose member says it is encrypted
  symlinkzip OUT            zip holding a symbolic link
  manyzip OUT N IN          zip with N members
  gzbomb OUT MIB            gzip of a report's start and MIB MiB of blanks
  zipbomb OUT MIB           zip with one member like that
  liarbomb OUT MIB          the same, its headers claiming 1331 bytes
  truncgz OUT IN            gzip of IN cut in the middle
  mail OUT ATTACH TYPE NAME ENC [wrap]
                            a report mail: ATTACH's bytes as a part of
                            TYPE named NAME, ENC base64 | qp | 8bit;
                            "wrap" puts it inside message/rfc822
  nested OUT ATTACH DEPTH   ATTACH in DEPTH nested multipart/mixed
  parts OUT ATTACH N        a multipart/mixed of N parts, ATTACH last
  textmail OUT              a mail with no report in it
"""
import base64
import binascii
import gzip
import io
import quopri
import struct
import sys
import zipfile
import zlib


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


def zipped(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def bomb_deflated(mib, wbits):
    """Deflate a report's start and MIB MiB of blanks without holding
    them: (data, crc, size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = b'<?xml version="1.0"?>\n<feedback><report_metadata><org_name>'
    chunk = b" " * (1 << 20)
    out = [c.compress(head)]
    crc = zlib.crc32(head)
    for _ in range(mib):
        out.append(c.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    out.append(c.flush())
    return b"".join(out), crc, len(head) + (mib << 20)


def gzbomb(mib):
    data, _, _ = bomb_deflated(mib, 16 + 15)
    return data


def zip_raw(name, comp, crc, csize, usize, flags=0, method=8, attr=0):
    """One-member zip with the sizes and flags we choose; the name a
    str, or bytes as they are."""
    n = name if isinstance(name, bytes) else name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0,
                        crc, csize, usize, len(n), 0) + n
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20,
                          flags, method, 0, 0, crc, csize, usize, len(n),
                          0, 0, 0, 0, attr, 0) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                      len(local) + len(comp), 0)
    return local + comp + central + end


def deflate_raw(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def mail(body_part, boundary="=_dmarcpipe_test"):
    return (b"From: noreply-dmarc@example.net\r\n"
            b"To: dmarc@example.com\r\n"
            b"Subject: Report domain: example.com Submitter: example.net\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"" +
            boundary.encode() + b"\"\r\n\r\n"
            b"This is a multi-part message in MIME format.\r\n" +
            b"--" + boundary.encode() + b"\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"This is an aggregate report.\r\n" +
            b"--" + boundary.encode() + b"\r\n" + body_part +
            b"\r\n--" + boundary.encode() + b"--\r\n")


def part(data, ctype, name, enc):
    if enc == "base64":
        body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    elif enc == "qp":
        body = quopri.encodestring(data)
    else:
        body = data
    head = "Content-Type: %s; name=\"%s\"\r\n" % (ctype, name)
    head += "Content-Disposition: attachment; filename=\"%s\"\r\n" % name
    cte = {"qp": "quoted-printable"}.get(enc, enc)
    head += "Content-Transfer-Encoding: %s\r\n\r\n" % cte
    return head.encode() + body


def main(argv):
    kind, out = argv[1], argv[2]
    a = argv[3:]
    if kind == "gz":
        write(out, gz(read(a[0])))
    elif kind == "gzgz":
        write(out, gz(gz(read(a[0]))))
    elif kind == "gzgzgz":
        write(out, gz(gz(gz(read(a[0])))))
    elif kind == "multigz":
        write(out, gz(read(a[0])) + gz(read(a[1])))
    elif kind == "zip":
        write(out, zipped([(m.split("=", 1)[0], read(m.split("=", 1)[1]))
                           for m in a]))
    elif kind == "zipgz":
        write(out, gz(zipped([("report.xml", read(a[0]))])))
    elif kind == "liarzip":
        data = read(a[0])
        comp = deflate_raw(data)
        write(out, zip_raw("report.xml", comp, binascii.crc32(data),
                           len(comp), 100))
    elif kind == "enczip":
        data = read(a[0])
        comp = deflate_raw(data)
        write(out, zip_raw("report.xml", comp, binascii.crc32(data),
                           len(comp), len(data), flags=1))
    elif kind == "symlinkzip":
        target = b"/etc/passwd"
        write(out, zip_raw("report.xml", target, binascii.crc32(target),
                           len(target), len(target), method=0,
                           attr=(0o120777 << 16)))
    elif kind == "manyzip":
        data = read(a[1])
        write(out, zipped([("r%d.xml" % i, data) for i in range(int(a[0]))]))
    elif kind == "gzbomb":
        write(out, gzbomb(int(a[0])))
    elif kind == "zipbomb":
        comp, crc, size = bomb_deflated(int(a[0]), -15)
        write(out, zip_raw("report.xml", comp, crc, len(comp), size))
    elif kind == "liarbomb":
        comp, crc, size = bomb_deflated(int(a[0]), -15)
        write(out, zip_raw("report.xml", comp, crc, len(comp), 1331))
    elif kind == "truncgz":
        data = gz(read(a[0]))
        write(out, data[:len(data) // 2])
    elif kind == "mail":
        data, ctype, name, enc = read(a[0]), a[1], a[2], a[3]
        p = part(data, ctype, name, enc)
        if len(a) > 4 and a[4] == "wrap":
            inner = mail(p, "=_inner")
            p = (b"Content-Type: message/rfc822\r\n\r\n" + inner)
        write(out, mail(p))
    elif kind == "nested":
        p = part(read(a[0]), "application/gzip", "r.xml.gz", "base64")
        for i in range(int(a[1]) - 1):
            b = ("=_n%d" % i).encode()
            p = (b"Content-Type: multipart/mixed; boundary=\"" + b +
                 b"\"\r\n\r\n--" + b + b"\r\n" + p + b"\r\n--" + b + b"--")
        write(out, mail(p))
    elif kind == "parts":
        n = int(a[1])
        b = b"=_p"
        body = b""
        for i in range(n - 1):
            body += (b"--" + b + b"\r\nContent-Type: text/plain\r\n\r\n" +
                     ("part %d\r\n" % i).encode())
        body += (b"--" + b + b"\r\n" +
                 part(read(a[0]), "application/gzip", "r.xml.gz", "base64") +
                 b"\r\n--" + b + b"--\r\n")
        write(out, b"From: a@example.net\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=\"=_p\"\r\n\r\n" +
              body)
    elif kind == "textmail":
        write(out, b"From: a@example.net\r\nSubject: hello\r\n\r\n"
              b"No report here.\r\n")
    else:
        sys.exit("mkfixture.py: unknown kind " + kind)


if __name__ == "__main__":
    main(sys.argv)
