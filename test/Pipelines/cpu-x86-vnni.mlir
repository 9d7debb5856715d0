// RUN: fp4-opt %s --split-input-file --fp4-cpu-x86-vnni | FileCheck %s

// The portable quad dot product of fp4-cpu-tile-and-vectorize becomes one
// vpdpbusd (u8 operand first).

// CHECK-LABEL: func.func @quad(
// CHECK-SAME:    %[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>
// CHECK:         %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[U]], %[[S]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:         return %[[R]]
func.func @quad(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %ue = arith.extui %u : vector<64xi8> to vector<64xi32>
  %se = arith.extsi %s : vector<64xi8> to vector<64xi32>
  %p = arith.muli %se, %ue : vector<64xi32>
  %p0 = vector.shuffle %p, %p [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi32>, vector<64xi32>
  %p1 = vector.shuffle %p, %p [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi32>, vector<64xi32>
  %s01 = arith.addi %p0, %p1 : vector<16xi32>
  %p2 = vector.shuffle %p, %p [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi32>, vector<64xi32>
  %s012 = arith.addi %s01, %p2 : vector<16xi32>
  %p3 = vector.shuffle %p, %p [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi32>, vector<64xi32>
  %sum = arith.addi %s012, %p3 : vector<16xi32>
  %r = arith.addi %acc, %sum : vector<16xi32>
  return %r : vector<16xi32>
}

// -----

// Two signed operands (no u8 x s8 form), or lanes that are not the four
// bytes of one 32-bit lane: unchanged.

// CHECK-LABEL: func.func @signed_signed(
// CHECK-NOT:     llvm.call_intrinsic
func.func @signed_signed(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %ue = arith.extsi %u : vector<64xi8> to vector<64xi32>
  %se = arith.extsi %s : vector<64xi8> to vector<64xi32>
  %p = arith.muli %ue, %se : vector<64xi32>
  %p0 = vector.shuffle %p, %p [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi32>, vector<64xi32>
  %p1 = vector.shuffle %p, %p [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi32>, vector<64xi32>
  %s01 = arith.addi %p0, %p1 : vector<16xi32>
  %p2 = vector.shuffle %p, %p [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi32>, vector<64xi32>
  %s012 = arith.addi %s01, %p2 : vector<16xi32>
  %p3 = vector.shuffle %p, %p [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi32>, vector<64xi32>
  %sum = arith.addi %s012, %p3 : vector<16xi32>
  %r = arith.addi %acc, %sum : vector<16xi32>
  return %r : vector<16xi32>
}

// CHECK-LABEL: func.func @wrong_lanes(
// CHECK-NOT:     llvm.call_intrinsic
func.func @wrong_lanes(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %ue = arith.extui %u : vector<64xi8> to vector<64xi32>
  %se = arith.extsi %s : vector<64xi8> to vector<64xi32>
  %p = arith.muli %ue, %se : vector<64xi32>
  %p0 = vector.shuffle %p, %p [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<64xi32>, vector<64xi32>
  %p1 = vector.shuffle %p, %p [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31] : vector<64xi32>, vector<64xi32>
  %s01 = arith.addi %p0, %p1 : vector<16xi32>
  %p2 = vector.shuffle %p, %p [32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47] : vector<64xi32>, vector<64xi32>
  %s012 = arith.addi %s01, %p2 : vector<16xi32>
  %p3 = vector.shuffle %p, %p [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63] : vector<64xi32>, vector<64xi32>
  %sum = arith.addi %s012, %p3 : vector<16xi32>
  %r = arith.addi %acc, %sum : vector<16xi32>
  return %r : vector<16xi32>
}
