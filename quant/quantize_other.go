//go:build !amd64 || purego

package quant

// useLanes is false without the assembly kernels: the scalar scale
// searches of quantize_ref.go run one group at a time, without the
// transposition into lanes that qkx2Lanes and qxLanes would cost.
var useLanes = false

func qkx2Lanes(g *qkx2Groups, n, nmax, nstep, wmode int, mad bool) {
	qkx2LanesGeneric(g, n, nmax, nstep, wmode, mad)
}

func qxLanes(g *qxGroups, n, nmax int) { qxLanesGeneric(g, n, nmax) }

// useQ8KAsm is false: there is no Q8_K assembly here.
var useQ8KAsm = false

func quantQ8KRow(x []float32, dst []byte, nb int) { quantQ8KRowGo(x, dst, nb) }

func quantQ8x86Row(x []float32, dst []byte, nb int, withSum bool) {
	quantQ8x86RowGo(x, dst, nb, withSum)
}
