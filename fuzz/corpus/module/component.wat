(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64))
    (func (export "len") (param i32 i32) (result i32) (local.get 1))
    (func (export "unit")))
  (core instance $i (instantiate $m))
  (type $point (record (field "x" s32) (field "y" s32)))
  (export $p "point" (type $point))
  (func (export "len") (param "s" string) (result u32)
    (canon lift (core func $i "len") (memory $i "memory") (realloc (func $i "realloc"))))
  (func (export "unit") (canon lift (core func $i "unit")))
  (instance $api
    (export "unit" (func 1)))
  (export "example:api/things@1.0.0" (instance $api)))
