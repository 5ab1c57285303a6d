package quant

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// Weight quantizers, bit-identical to ggml's reference quantizers
// (quantize_row_*_ref in ggml-quants.c), which are what ggml_quantize_chunk
// and llama-quantize run when no importance matrix is given.
//
// ggml-base is built for baseline x86-64, so its scalar C rounds every float
// operation to float32 and never fuses a multiply and an add. The explicit
// float32(...) conversions around products below keep Go from fusing them
// either (the Go spec lets it fuse x*y+z unless the product is converted).
//
// The scale searches of the K-quants (make_qkx2_quants, make_qx_quants) are
// most of the work; with AVX2 they run eight groups at a time on the lane
// kernels of quantize_lanes.go, which give the same bits as the scalar
// searches here.

const groupMaxEps = 1e-15

func quantizeWeights(t gguf.Type, src []float32, dst []byte) error {
	n := len(src)
	switch t {
	case gguf.TypeQ4_0:
		for b := 0; b < n/32; b++ {
			quantQ4_0(src[32*b:32*b+32], dst[18*b:18*b+18])
		}
	case gguf.TypeQ4_1:
		for b := 0; b < n/32; b++ {
			quantQ4_1(src[32*b:32*b+32], dst[20*b:20*b+20])
		}
	case gguf.TypeQ5_0:
		for b := 0; b < n/32; b++ {
			quantQ5_0(src[32*b:32*b+32], dst[22*b:22*b+22])
		}
	case gguf.TypeQ5_1:
		for b := 0; b < n/32; b++ {
			quantQ5_1(src[32*b:32*b+32], dst[24*b:24*b+24])
		}
	case gguf.TypeQ2_K:
		for b := 0; b < n/qkK; b++ {
			quantQ2_K(src[qkK*b:qkK*b+qkK], dst[84*b:84*b+84])
		}
	case gguf.TypeQ3_K:
		for b := 0; b < n/qkK; b++ {
			quantQ3_K(src[qkK*b:qkK*b+qkK], dst[110*b:110*b+110])
		}
	case gguf.TypeQ4_K:
		for b := 0; b < n/qkK; b++ {
			quantQ4_K(src[qkK*b:qkK*b+qkK], dst[144*b:144*b+144])
		}
	case gguf.TypeQ5_K:
		for b := 0; b < n/qkK; b++ {
			quantQ5_K(src[qkK*b:qkK*b+qkK], dst[176*b:176*b+176])
		}
	case gguf.TypeQ6_K:
		for b := 0; b < n/qkK; b++ {
			quantQ6_K(src[qkK*b:qkK*b+qkK], dst[210*b:210*b+210])
		}
	default:
		return fmt.Errorf("quant: quantize: type %s not supported", t)
	}
	return nil
}

// QuantizeRowRef quantizes like QuantizeRow, except that Q8_0 and Q8_1 use
// ggml's reference quantizers (quantize_row_q8_0_ref / _q8_1_ref: 1/d and
// round half away from zero), which is what llama-quantize writes for Q8_0
// weights. For every other type it is QuantizeRow.
func QuantizeRowRef(t gguf.Type, src []float32, dst []byte) error {
	if t != gguf.TypeQ8_0 && t != gguf.TypeQ8_1 {
		return QuantizeRow(t, src, dst)
	}
	if _, err := checkRow("quantize", t, len(src), len(dst)); err != nil {
		return err
	}
	bs := t.TypeSize()
	for b := 0; b < len(src)/32; b++ {
		quantQ8Ref(src[32*b:32*b+32], dst[b*bs:b*bs+bs], t == gguf.TypeQ8_1)
	}
	return nil
}

func absf(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

func putHalf(b []byte, f float32) { binary.LittleEndian.PutUint16(b, FP32ToFP16(f)) }

func quantQ8Ref(x []float32, blk []byte, withSum bool) {
	x = x[:32]
	var amax float32
	for _, v := range x {
		// ggml's MAX(a, b): a > b ? a : b (a NaN is replaced by the next value).
		if a := absf(v); !(amax > a) {
			amax = a
		}
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putHalf(blk, d)
	qs := blk[2:34]
	if withSum {
		qs = blk[4:36]
	}
	sum := 0
	for j, v := range x {
		q := int8(roundf(float32(v * id)))
		qs[j] = byte(q)
		sum += int(q)
	}
	if withSum {
		putHalf(blk[2:], float32(sum)*d)
	}
}

// roundf is C's roundf (halves away from zero) for |p| < 2^31, truncated
// to an integer: p ± 0.5 is exact in float64, so truncating it rounds p
// as roundf does.
func roundf(p float32) int32 {
	f := float64(p)
	return int32(f + math.Copysign(0.5, f))
}

// absMax returns the element of largest magnitude (the first such) and its
// magnitude.
func absMax(x []float32) (maxv, amax float32) {
	for _, v := range x {
		if a := absf(v); a > amax {
			amax, maxv = a, v
		}
	}
	return maxv, amax
}

func quantQ4_0(x []float32, blk []byte) {
	maxv, _ := absMax(x)
	d := maxv / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putHalf(blk, d)
	for j := 0; j < 16; j++ {
		x0 := float32(x[j] * id)
		x1 := float32(x[j+16] * id)
		q0 := min(15, int8(x0+8.5))
		q1 := min(15, int8(x1+8.5))
		blk[2+j] = byte(q0) | byte(q1)<<4
	}
}

func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

func quantQ4_1(x []float32, blk []byte) {
	lo, hi := minMax(x)
	d := (hi - lo) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putHalf(blk, d)
	putHalf(blk[2:], lo)
	for j := 0; j < 16; j++ {
		x0 := float32((x[j] - lo) * id)
		x1 := float32((x[j+16] - lo) * id)
		q0 := min(15, int8(x0+0.5))
		q1 := min(15, int8(x1+0.5))
		blk[4+j] = byte(q0) | byte(q1)<<4
	}
}

func quantQ5_0(x []float32, blk []byte) {
	maxv, _ := absMax(x)
	d := maxv / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putHalf(blk, d)
	var qh uint32
	for j := 0; j < 16; j++ {
		x0 := float32(x[j] * id)
		x1 := float32(x[j+16] * id)
		q0 := uint8(min(31, int8(x0+16.5)))
		q1 := uint8(min(31, int8(x1+16.5)))
		blk[6+j] = q0&0xf | (q1&0xf)<<4
		qh |= uint32(q0>>4&1) << j
		qh |= uint32(q1>>4&1) << (j + 16)
	}
	binary.LittleEndian.PutUint32(blk[2:], qh)
}

func quantQ5_1(x []float32, blk []byte) {
	lo, hi := minMax(x)
	d := (hi - lo) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putHalf(blk, d)
	putHalf(blk[2:], lo)
	var qh uint32
	for j := 0; j < 16; j++ {
		x0 := float32((x[j] - lo) * id)
		x1 := float32((x[j+16] - lo) * id)
		q0 := uint8(x0 + 0.5)
		q1 := uint8(x1 + 0.5)
		blk[8+j] = q0&0xf | (q1&0xf)<<4
		qh |= uint32(q0>>4&1) << j
		qh |= uint32(q1>>4&1) << (j + 16)
	}
	binary.LittleEndian.PutUint32(blk[4:], qh)
}

// clampInt returns v limited to [lo, hi].
func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// qkx2Nums are the numerators of make_qkx2_quants' candidate inverse
// scales, rmin + rdelta·is + nmax for is = 0..nstep, in its float32
// arithmetic.
func qkx2Nums(nmax int, rmin, rdelta float32, nstep int) []float32 {
	nums := make([]float32, nstep+1)
	for is := range nums {
		nums[is] = float32(rmin+float32(rdelta*float32(is))) + float32(nmax)
	}
	return nums
}

// The candidates of the K-quant types.
var (
	q2KNums = qkx2Nums(3, -0.5, 0.1, 15)
	q4KNums = qkx2Nums(15, -1, 0.1, 20)
	q5KNums = qkx2Nums(31, -0.5, 0.1, 15)
)

// makeQKX2 finds a scale and min (returned as -min >= 0) for n <= 32
// values with levels 0..nmax, trying the candidate inverse scales
// nums[is]/(max-min) (qkx2Nums) and keeping the one with the smallest
// weighted error (ggml's make_qkx2_quants), writing the levels of the best
// to L.
//
// It computes what make_qkx2_quants computes, float32 operation for float32
// operation, leaving out only work whose outcome is already known:
//   - a candidate whose levels equal the previous candidate's has the same
//     sums, scale, min and error, which did not beat the best error or
//     became it, so it cannot win;
//   - the error of a candidate is a sum of non-negative terms, whose float32
//     partial sums never decrease, so once one reaches the best error the
//     candidate cannot win.
func makeQKX2(nmax int, x, weights []float32, L []uint8, nums []float32, useMAD bool) (scale, theMin float32) {
	n, nstep := len(x), len(nums)-1
	weights, L = weights[:n], L[:n]
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		clear(L)
		return 0, -lo
	}
	fnmax := float32(nmax)
	iscale := fnmax / (hi - lo)
	scale = 1 / iscale
	var bestErr float32
	for i, v := range x {
		l := uint8(max(0, min(nmax, nearestInt(float32(iscale*float32(v-lo))))))
		L[i] = l
		diff := float32(float32(scale*float32(l))+lo) - v
		if useMAD {
			bestErr += float32(weights[i] * absf(diff))
		} else {
			bestErr += float32(weights[i] * float32(diff*diff))
		}
	}
	if nstep < 1 {
		return scale, -lo
	}
	var xmA, flA [32]float32
	var lauxA [32]uint8
	xm, fl, laux := xmA[:n], flA[:n], lauxA[:n]
	for i, v := range x {
		xm[i] = v - lo
	}
	judged := false // laux holds the levels of a candidate already judged
	for is := 0; is <= nstep; is++ {
		iscale = nums[is] / (hi - lo)
		var changed uint8
		for i, v := range xm {
			l := uint8(max(0, min(nmax, nearestInt(float32(iscale*v)))))
			changed |= l ^ laux[i]
			laux[i] = l
		}
		if judged && changed == 0 {
			continue
		}
		judged = true
		var sumL, sumL2, sumXL float32
		for i, l := range laux {
			f := float32(l)
			fl[i] = f
			wl := float32(weights[i] * f)
			sumL += wl
			sumL2 += float32(wl * f)
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if !(D > 0) {
			continue
		}
		thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
		thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
		if thisMin > 0 {
			thisMin = 0
			thisScale = sumXL / sumL2
		}
		var curErr float32
		if useMAD {
			for i, f := range fl {
				diff := float32(float32(thisScale*f)+thisMin) - x[i]
				if curErr += float32(weights[i] * absf(diff)); curErr >= bestErr {
					break
				}
			}
		} else {
			for i, f := range fl {
				diff := float32(float32(thisScale*f)+thisMin) - x[i]
				if curErr += float32(weights[i] * float32(diff*diff)); curErr >= bestErr {
					break
				}
			}
		}
		if curErr < bestErr {
			copy(L, laux)
			bestErr = curErr
			scale = thisScale
			lo = thisMin
			for i, v := range x {
				xm[i] = v - lo
			}
		}
	}
	return scale, -lo
}

func quantQ2_K(x []float32, blk []byte) {
	var L [qkK]uint8
	var mins, scales [16]float32
	const q4scale = 15
	var maxScale, maxMin float32
	if useLanes {
		var g qkx2Groups
		qkx2Many(&g, 3, x, 16, L[:], scales[:], mins[:], q2KNums, weightsAbs, true)
	} else {
		var weights [qkK]float32
		for i, v := range x[:qkK] {
			weights[i] = absf(v)
		}
		for j := 0; j < 16; j++ {
			scales[j], mins[j] = makeQKX2(3, x[16*j:16*j+16], weights[16*j:16*j+16], L[16*j:16*j+16], q2KNums, true)
		}
	}
	for j := 0; j < 16; j++ {
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	sc, qs := blk[0:16], blk[16:80]
	if maxScale > 0 {
		iscale := q4scale / maxScale
		for j := 0; j < 16; j++ {
			sc[j] = uint8(nearestInt(float32(iscale * scales[j])))
		}
		putHalf(blk[80:], maxScale/q4scale)
	} else {
		clear(sc)
		putHalf(blk[80:], 0)
	}
	if maxMin > 0 {
		iscale := q4scale / maxMin
		for j := 0; j < 16; j++ {
			sc[j] |= uint8(nearestInt(float32(iscale*mins[j])) << 4)
		}
		putHalf(blk[82:], maxMin/q4scale)
	} else {
		putHalf(blk[82:], 0)
	}
	dAll, dMin := f16(blk[80:]), f16(blk[82:])
	for j := 0; j < 16; j++ {
		d := dAll * float32(sc[j]&0xf)
		if d == 0 {
			continue
		}
		dm := float32(dMin * float32(sc[j]>>4)) // rounded: not fused into x+dm below
		for i := 0; i < 16; i++ {
			L[16*j+i] = uint8(clampInt(nearestInt((x[16*j+i]+dm)/d), 0, 3))
		}
	}
	for j := 0; j < qkK; j += 128 {
		for l := 0; l < 32; l++ {
			qs[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

// makeQ3 is ggml's make_q3_quants with do_rmse: levels -nmax..nmax-1 in L,
// refined by up to 5 passes of single-element moves (weights x^2).
func makeQ3(nmax int, x []float32, L []int8) float32 {
	maxv, amax := absMax(x)
	if amax < groupMaxEps {
		for i := range L[:len(x)] {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / maxv
	var sumlx, suml2 float32
	for i, v := range x {
		l := clampInt(nearestInt(float32(iscale*v)), -nmax, nmax-1)
		L[i] = int8(l)
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	for itry := 0; itry < 5; itry++ {
		changed := 0
		for i, v := range x {
			w := float32(v * v)
			fL := float32(L[i])
			slx := sumlx - float32(float32(w*v)*fL)
			if slx > 0 {
				sl2 := suml2 - float32(float32(w*fL)*fL)
				newL := clampInt(nearestInt(float32(v*sl2)/slx), -nmax, nmax-1)
				if newL != int(L[i]) {
					fn := float32(newL)
					slx += float32(float32(w*v) * fn)
					sl2 += float32(float32(w*fn) * fn)
					if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
						L[i] = int8(newL)
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range x {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

func quantQ3_K(x []float32, blk []byte) {
	var L [qkK]int8
	var scales [16]float32
	var maxScale, amax float32
	for j := 0; j < 16; j++ {
		scales[j] = makeQ3(4, x[16*j:16*j+16], L[16*j:16*j+16])
		if a := absf(scales[j]); a > amax {
			amax, maxScale = a, scales[j]
		}
	}
	hmask, qs, sc := blk[0:32], blk[32:96], blk[96:108]
	clear(sc)
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := 0; j < 16; j++ {
			l := int8(nearestInt(float32(iscale * scales[j])))
			l = int8(clampInt(int(l), -32, 31)) + 32
			if j < 8 {
				sc[j] = uint8(l) & 0xf
			} else {
				sc[j-8] |= (uint8(l) & 0xf) << 4
			}
			l >>= 4
			sc[j%4+8] |= uint8(l) << (2 * (j / 4))
		}
		putHalf(blk[108:], 1/iscale)
	} else {
		putHalf(blk[108:], 0)
	}
	var s6 [16]int8
	q3kScales(sc, &s6)
	dAll := f16(blk[108:])
	for j := 0; j < 16; j++ {
		d := dAll * float32(int(s6[j])-32)
		if d == 0 {
			continue
		}
		for i := 0; i < 16; i++ {
			L[16*j+i] = int8(clampInt(nearestInt(x[16*j+i]/d), -4, 3) + 4)
		}
	}
	clear(hmask)
	m, hm := 0, uint8(1)
	for j := 0; j < qkK; j++ {
		if L[j] > 3 {
			hmask[m] |= hm
			L[j] -= 4
		}
		if m++; m == qkK/8 {
			m, hm = 0, hm<<1
		}
	}
	for j := 0; j < qkK; j += 128 {
		for l := 0; l < 32; l++ {
			qs[j/4+l] = uint8(L[j+l]) | uint8(L[j+l+32])<<2 | uint8(L[j+l+64])<<4 | uint8(L[j+l+96])<<6
		}
	}
}

// quantKScalesMins runs the shared first half of Q4_K/Q5_K: per 32-element
// sub-block scale and min, their 6-bit packing, and d/dmin.
func quantKScalesMins(x []float32, blk []byte, L *[qkK]uint8, nmax int, nums []float32) {
	var mins, scales [8]float32
	var maxScale, maxMin float32
	if useLanes {
		var g qkx2Groups
		qkx2Many(&g, nmax, x, 32, L[:], scales[:], mins[:], nums, weightsRMS, false)
	} else {
		var weights [32]float32
		for j := 0; j < 8; j++ {
			rmsWeights(x[32*j:32*j+32], weights[:])
			scales[j], mins[j] = makeQKX2(nmax, x[32*j:32*j+32], weights[:], L[32*j:32*j+32], nums, false)
		}
	}
	for j := 0; j < 8; j++ {
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := blk[4:16]
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putHalf(blk, maxScale/63)
	putHalf(blk[2:], maxMin/63)
	dAll, dMin := f16(blk), f16(blk[2:])
	for j := 0; j < 8; j++ {
		s, m := scaleMinK4(j, sc)
		d := dAll * float32(s)
		if d == 0 {
			continue
		}
		dm := float32(dMin * float32(m)) // rounded: not fused into x+dm below
		for i := 0; i < 32; i++ {
			L[32*j+i] = uint8(clampInt(nearestInt((x[32*j+i]+dm)/d), 0, nmax))
		}
	}
}

func quantQ4_K(x []float32, blk []byte) {
	var L [qkK]uint8
	quantKScalesMins(x, blk, &L, 15, q4KNums)
	q := blk[16:144]
	for j := 0; j < 4; j++ {
		for l := 0; l < 32; l++ {
			q[32*j+l] = L[64*j+l] | L[64*j+l+32]<<4
		}
	}
}

func quantQ5_K(x []float32, blk []byte) {
	var L [qkK]uint8
	quantKScalesMins(x, blk, &L, 31, q5KNums)
	qh, ql := blk[16:48], blk[48:176]
	clear(qh)
	m1, m2 := uint8(1), uint8(2)
	for j := 0; j < 4; j++ {
		for l := 0; l < 32; l++ {
			l1, l2 := L[64*j+l], L[64*j+l+32]
			if l1 > 15 {
				l1 -= 16
				qh[l] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[l] |= m2
			}
			ql[32*j+l] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
	}
}

// makeQX is ggml's make_qx_quants with rmse_type 1 and no importance
// weights (weights x^2), as quantize_row_q6_K_ref calls it, for n <= 16
// values.
//
// The candidates are those of make_qx_quants, each computed float32
// operation for float32 operation, with two shortcuts that keep the
// result: a candidate whose levels equal the previous candidate's has the
// same sums, so the same outcome (it either loses again or wins with the
// scale and levels already chosen), and the levels are written once, for
// the last winner, rather than at every win.
func makeQX(nmax int, x []float32, L []int8) float32 {
	n := len(x)
	L = L[:n]
	maxv, amax := absMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	var wA, wxA [16]float32
	var lA [16]int8
	w, wx, lv := wA[:n], wxA[:n], lA[:n]
	for i, v := range x {
		w[i] = float32(v * v)
		wx[i] = float32(w[i] * v)
	}
	fnmax := float32(nmax)
	iscale := -fnmax / maxv
	var sumlx, suml2 float32
	for i, v := range x {
		l := max(-nmax, min(nmax-1, nearestInt(float32(iscale*v))))
		lv[i] = int8(l)
		fl := float32(l)
		sumlx += float32(wx[i] * fl)
		suml2 += float32(float32(w[i]*fl) * fl)
	}
	bestIscale := iscale
	scale := float32(0)
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / maxv
		var changed int8
		for i, v := range x {
			l := int8(max(-nmax, min(nmax-1, nearestInt(float32(iscale*v)))))
			changed |= l ^ lv[i]
			lv[i] = l
		}
		if changed == 0 {
			continue
		}
		sumlx, suml2 = 0, 0
		for i, l := range lv {
			fl := float32(l)
			sumlx += float32(wx[i] * fl)
			suml2 += float32(float32(w[i]*fl) * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			bestIscale = iscale
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	for i, v := range x {
		L[i] = int8(nmax + max(-nmax, min(nmax-1, nearestInt(float32(bestIscale*v)))))
	}
	return scale
}

func quantQ6_K(x []float32, blk []byte) {
	var L [qkK]int8
	var scales [16]float32
	var maxScale, maxAbs float32
	if useLanes {
		var g qxGroups
		qxMany(&g, 32, x, 16, L[:], scales[:])
	} else {
		for ib := 0; ib < 16; ib++ {
			scales[ib] = makeQX(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		}
	}
	for _, s := range scales {
		if a := absf(s); a > maxAbs {
			maxAbs, maxScale = a, s
		}
	}
	if maxAbs < groupMaxEps {
		clear(blk)
		return
	}
	ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
	iscale := -128 / maxScale
	putHalf(blk[208:], 1/iscale)
	for ib := 0; ib < 16; ib++ {
		sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	dAll := f16(blk[208:])
	for j := 0; j < 16; j++ {
		d := dAll * float32(int8(sc[j]))
		if d == 0 {
			continue
		}
		for i := 0; i < 16; i++ {
			L[16*j+i] = int8(clampInt(nearestInt(x[16*j+i]/d), -32, 31) + 32)
		}
	}
	for h := 0; h < 2; h++ {
		j := 128 * h
		o, oh := 64*h, 32*h
		for l := 0; l < 32; l++ {
			q1, q2, q3, q4 := uint8(L[j+l]), uint8(L[j+l+32]), uint8(L[j+l+64]), uint8(L[j+l+96])
			ql[o+l] = q1&0xf | (q3&0xf)<<4
			ql[o+l+32] = q2&0xf | (q4&0xf)<<4
			qh[oh+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}
