//go:build amd64 && !purego

package quant

import "golang.org/x/sys/cpu"

// useLanes selects the AVX2 lane kernels of the K-quant scale searches
// (quantize_lanes.go). A variable so that tests can compare both paths.
var useLanes = cpu.X86.HasAVX2

//go:noescape
func qkx2GroupsAVX2(grp *qkx2Groups, n, nstep, wmode int, nmax int32, mad bool)

//go:noescape
func qxGroupsAVX2(grp *qxGroups, n int, nmax int32)

func qkx2Lanes(g *qkx2Groups, n, nmax, nstep, wmode int, mad bool) {
	qkx2GroupsAVX2(g, n, nstep, wmode, int32(nmax), mad)
}

func qxLanes(g *qxGroups, n, nmax int) { qxGroupsAVX2(g, n, int32(nmax)) }
