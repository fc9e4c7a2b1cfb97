(module
  (func (export "simd") (param f64 v128) (result f32) (f32.const 1))
  (func (export "anyref") (param anyref) (result i32) (i32.const 2))
  (func (export "typed") (param (ref func)) (result i32) (i32.const 3))
  (func (export "returns_v128") (result v128) (v128.const i64x2 0 0)))
