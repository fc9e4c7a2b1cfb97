(component
  (import "wasi:cli/environment@0.2.0" (instance
    (export "get-arguments" (func (result (list string))))))
  (import "example:greet/greeter@1.0.0" (instance
    (export "greet" (func (param "name" string) (result string))))))
