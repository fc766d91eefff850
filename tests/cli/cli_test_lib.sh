# Shared by the CLI test scripts (tests/cli/*_test.sh): sourced after setting nothing;
# reads CLI and SHARED from the script's arguments, makes a WORK folder removed on exit,
# and counts checks. Each script ends with `finish NAME`.
CLI="$1"
SHARED="${2:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache"  # description caches and the like stay inside the test
passed=0
failed=0

check() {  # check NAME COMMAND...: the command must succeed
    local name="$1"; shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"; tail -5 "$WORK/err"; tail -5 "$WORK/out"
    fi
}

expect_exit() {  # expect_exit NAME CODE NEEDLE COMMAND...: exit code and a stderr message
    local name="$1" code="$2" needle="$3"; shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" -eq "$code" ] && grep -q -- "$needle" "$WORK/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name (exit $got, expected $code with '$needle')"; cat "$WORK/err"
    fi
}

# Reads .npy headers with the Python standard library (no numpy on the machine).
npy_shape() {
    python3 - "$1" <<'PY'
import ast, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:6] == b"\x93NUMPY", "bad magic"
n = struct.unpack("<H", data[8:10])[0]
h = ast.literal_eval(data[10:10 + n].decode())
assert h["descr"] == "<f4" and not h["fortran_order"]
count = 1
for d in h["shape"]:
    count *= d
assert len(data) == 10 + n + 4 * count, "size mismatch"
print(list(h["shape"]))
PY
}

# npy_close A B TOL: two float32 .npy files of one shape whose values differ by at most TOL.
# Texts embedded in batches of different sizes differ in the last bits on some CPUs' BLAS
# kernels (seen on AMD EPYC, not on the AVX-512 machines), so "the same map" is equal to
# float32 rounding, not to the byte.
npy_close() {
    python3 - "$1" "$2" "$3" <<'PY'
import ast, struct, sys
def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<H", data[8:10])[0]
    h = ast.literal_eval(data[10:10 + n].decode())
    assert h["descr"] == "<f4", path
    body = data[10 + n:]
    return h["shape"], struct.unpack("<%df" % (len(body) // 4), body)
(sa, a), (sb, b) = load(sys.argv[1]), load(sys.argv[2])
assert sa == sb, (sa, sb)
worst = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
assert worst <= float(sys.argv[3]), "max difference %g > %s" % (worst, sys.argv[3])
PY
}

capture() {  # capture FILE COMMAND...: stdout of the command into FILE
    local file="$1"; shift
    "$@" >"$file"
}

shape_is() { [ "$(npy_shape "$1")" = "$2" ] || { echo "shape of $1 is $(npy_shape "$1"), expected $2"; return 1; }; }

finish() {  # finish NAME: the closing line ctest's log shows, and the exit status
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
