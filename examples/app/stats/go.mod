module orivon.example/stats

go 1.24
