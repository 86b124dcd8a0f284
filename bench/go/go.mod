module reexecer/bench/go

go 1.19
