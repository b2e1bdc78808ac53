;; wasmdoctor's smoke module (WASI preview 1): prints its first argument (the nonce) and a newline
;; to stdout, then returns from _start (exit 0). Other exits say what went wrong: 2 a WASI call
;; failed, 3 no argument, 4 the arguments are too long for this module, 5 stdout refused the write.
;; Memory: 0 argc, 4 the argument bytes, 8 the iovec, 16.. argv pointers (64), 1024.. the strings.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $p i32)
    (local $len i32)
    (if (call $args_sizes_get (i32.const 0) (i32.const 4)) (then (call $proc_exit (i32.const 2))))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2)) (then (call $proc_exit (i32.const 3))))
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 64)) (then (call $proc_exit (i32.const 4))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 60000)) (then (call $proc_exit (i32.const 4))))
    (if (call $args_get (i32.const 16) (i32.const 1024)) (then (call $proc_exit (i32.const 2))))
    (local.set $p (i32.load (i32.const 20)))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    (i32.store8 (i32.add (local.get $p) (local.get $len)) (i32.const 10))
    (i32.store (i32.const 8) (local.get $p))
    (i32.store (i32.const 12) (i32.add (local.get $len) (i32.const 1)))
    (if (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 0)) (then (call $proc_exit (i32.const 5))))))
