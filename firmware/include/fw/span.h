// Span, FixedVector and FixedQueue: the container types the firmware cores use instead of
// std::span (C++20), std::vector and std::deque (heap). Plain value types, no allocation.
// Thread-safety: none; a value is owned by one thread of control at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace sw::fw {

// A non-owning view of `size` contiguous T. The viewed storage must outlive the span.
template <typename T>
class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, size_t size) : data_(data), size_(size) {}
  template <size_t N>
  constexpr Span(T (&array)[N]) : data_(array), size_(N) {}  // NOLINT(runtime/explicit)
  // Any container with data() and size() (std::array, FixedVector) converts implicitly.
  // Temporaries are accepted for argument passing; do not store such a span.
  template <typename C, typename = std::enable_if_t<!std::is_same_v<std::decay_t<C>, Span>>,
            typename = decltype(static_cast<T*>(std::declval<C&>().data())),
            typename = decltype(std::declval<C&>().size())>
  constexpr Span(C&& c) : data_(c.data()), size_(c.size()) {}  // NOLINT(runtime/explicit)

  constexpr T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](size_t i) const { return data_[i]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }
  constexpr Span First(size_t n) const { return Span(data_, n < size_ ? n : size_); }
  constexpr Span Skip(size_t n) const {
    return n < size_ ? Span(data_ + n, size_ - n) : Span(data_ + size_, 0);
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

using ByteSpan = Span<const uint8_t>;
using MutableByteSpan = Span<uint8_t>;

// A vector with a compile-time capacity. PushBack on a full vector returns false and
// changes nothing: callers decide what overflow means (usually "drop and count").
template <typename T, size_t N>
class FixedVector {
 public:
  bool PushBack(const T& value) {
    if (size_ == N) return false;
    items_[size_++] = value;
    return true;
  }
  void Clear() { size_ = 0; }
  T* data() { return items_; }
  const T* data() const { return items_; }
  size_t size() const { return size_; }
  static constexpr size_t capacity() { return N; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }
  T& operator[](size_t i) { return items_[i]; }
  const T& operator[](size_t i) const { return items_[i]; }
  T* begin() { return items_; }
  T* end() { return items_ + size_; }
  const T* begin() const { return items_; }
  const T* end() const { return items_ + size_; }

 private:
  T items_[N] = {};
  size_t size_ = 0;
};

// A FIFO ring with a compile-time capacity. Push on a full queue returns false.
template <typename T, size_t N>
class FixedQueue {
 public:
  bool Push(const T& value) {
    if (size_ == N) return false;
    items_[(head_ + size_) % N] = value;
    ++size_;
    return true;
  }
  // Precondition: !empty().
  T Pop() {
    T value = items_[head_];
    head_ = (head_ + 1) % N;
    --size_;
    return value;
  }
  // i-th element from the front, i < size().
  T& At(size_t i) { return items_[(head_ + i) % N]; }
  const T& At(size_t i) const { return items_[(head_ + i) % N]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }
  void Clear() { head_ = size_ = 0; }

 private:
  T items_[N] = {};
  size_t head_ = 0;
  size_t size_ = 0;
};

// Big-endian helpers for the wire formats.
constexpr uint16_t ReadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((static_cast<uint16_t>(p[0]) << 8) | p[1]);
}
constexpr void WriteBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v & 0xFF);
}
constexpr uint32_t ReadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
constexpr void WriteLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace sw::fw
