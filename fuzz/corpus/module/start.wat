(module
  (memory 1)
  (global (export "g") (mut i64) (i64.const 0))
  (func $start (i32.store (i32.const 65532) (i32.const 1)))
  (start $start)
  (func (export "f") (param f64 v128) (result f32 i64) (f32.const 1) (i64.const 2)))
