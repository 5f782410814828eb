package tensor

import (
	"math"
	"testing"
)

func TestEveryHalfBitPatternSurvivesWideningAndNarrowing(t *testing.T) {
	for h := range 1 << 16 {
		f := HalfToFloat32(uint16(h))
		back := Float32ToHalf(f)
		if f != f { // NaN: stays NaN with its sign
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 || back&0x8000 != uint16(h)&0x8000 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, back)
		}
	}
}

func TestFloat32ToHalfRoundsToNearestEven(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{65504, 0x7bff},
		{65520, 0x7c00}, // halfway to the next binade rounds up to Inf
		{1e6, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
		{float32(math.Copysign(0, -1)), 0x8000},
		{5.9604645e-8, 0x0001}, // smallest subnormal
		{2.9802322e-8, 0x0000}, // half of it: tie to even (zero)
		{1 + 1.0/2048, 0x3c00}, // tie between 0x3c00 and 0x3c01: even
		{1 + 3.0/2048, 0x3c02}, // tie between 0x3c01 and 0x3c02: even
		{0.1, 0x2e66},
	}
	for _, tc := range tests {
		if got := Float32ToHalf(tc.in); got != tc.want {
			t.Errorf("Float32ToHalf(%v) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestBFloat16RoundsToNearestEven(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{float32(math.Inf(1)), 0x7f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie: even
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie: even
		{math.Float32frombits(0x3f808001), 0x3f81},
	}
	for _, tc := range tests {
		if got := Float32ToBFloat16(tc.in); got != tc.want {
			t.Errorf("Float32ToBFloat16(%v) = %#04x, want %#04x", tc.in, got, tc.want)
		}
		if back := BFloat16ToFloat32(tc.want); Float32ToBFloat16(back) != tc.want {
			t.Errorf("bfloat16 %#04x does not round-trip", tc.want)
		}
	}
	if nan := Float32ToBFloat16(float32(math.NaN())); BFloat16ToFloat32(nan) == BFloat16ToFloat32(nan) {
		t.Errorf("NaN narrowed to a number: %#04x", nan)
	}
}
