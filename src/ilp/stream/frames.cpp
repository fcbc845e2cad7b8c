#include "ilp/stream/frames.h"

#include <type_traits>

namespace rafiki::ilp::stream {
namespace {

template <class T>
constexpr FrameType type_of() {
  if constexpr (std::is_same_v<T, ConnectionClose>) return FrameType::kConnectionClose;
  if constexpr (std::is_same_v<T, ConnectionNewAddress>) return FrameType::kConnectionNewAddress;
  if constexpr (std::is_same_v<T, ConnectionMaxData>) return FrameType::kConnectionMaxData;
  if constexpr (std::is_same_v<T, ConnectionDataBlocked>) {
    return FrameType::kConnectionDataBlocked;
  }
  if constexpr (std::is_same_v<T, ConnectionMaxStreamId>) {
    return FrameType::kConnectionMaxStreamId;
  }
  if constexpr (std::is_same_v<T, ConnectionStreamIdBlocked>) {
    return FrameType::kConnectionStreamIdBlocked;
  }
  if constexpr (std::is_same_v<T, ConnectionAssetDetails>) {
    return FrameType::kConnectionAssetDetails;
  }
  if constexpr (std::is_same_v<T, StreamClose>) return FrameType::kStreamClose;
  if constexpr (std::is_same_v<T, StreamMoney>) return FrameType::kStreamMoney;
  if constexpr (std::is_same_v<T, StreamMaxMoney>) return FrameType::kStreamMaxMoney;
  if constexpr (std::is_same_v<T, StreamMoneyBlocked>) return FrameType::kStreamMoneyBlocked;
  if constexpr (std::is_same_v<T, StreamData>) return FrameType::kStreamData;
  if constexpr (std::is_same_v<T, StreamMaxData>) return FrameType::kStreamMaxData;
  if constexpr (std::is_same_v<T, StreamDataBlocked>) return FrameType::kStreamDataBlocked;
  if constexpr (std::is_same_v<T, StreamReceipt>) return FrameType::kStreamReceipt;
}

void write_contents(Writer& w, const ConnectionClose& f) {
  w.write_u8(f.error_code);
  w.write_var_octets(as_bytes(f.message));
}
void write_contents(Writer& w, const ConnectionNewAddress& f) {
  w.write_var_octets(as_bytes(f.source_address));
}
void write_contents(Writer& w, const ConnectionMaxData& f) {
  w.write_var_uint(f.max_offset);
}
void write_contents(Writer& w, const ConnectionDataBlocked& f) {
  w.write_var_uint(f.max_offset);
}
void write_contents(Writer& w, const ConnectionMaxStreamId& f) {
  w.write_var_uint(f.max_stream_id);
}
void write_contents(Writer& w, const ConnectionStreamIdBlocked& f) {
  w.write_var_uint(f.max_stream_id);
}
void write_contents(Writer& w, const ConnectionAssetDetails& f) {
  w.write_var_octets(as_bytes(f.asset_code));
  w.write_u8(f.asset_scale);
}
void write_contents(Writer& w, const StreamClose& f) {
  w.write_var_uint(f.stream_id);
  w.write_u8(f.error_code);
  w.write_var_octets(as_bytes(f.message));
}
void write_contents(Writer& w, const StreamMoney& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.shares);
}
void write_contents(Writer& w, const StreamMaxMoney& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.receive_max);
  w.write_var_uint(f.total_received);
}
void write_contents(Writer& w, const StreamMoneyBlocked& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.send_max);
  w.write_var_uint(f.total_sent);
}
void write_contents(Writer& w, const StreamData& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.offset);
  w.write_var_octets(f.data);
}
void write_contents(Writer& w, const StreamMaxData& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.max_offset);
}
void write_contents(Writer& w, const StreamDataBlocked& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_uint(f.max_offset);
}
void write_contents(Writer& w, const StreamReceipt& f) {
  w.write_var_uint(f.stream_id);
  w.write_var_octets(f.receipt);
}

// Field readers that append into an out-parameter so parse_contents stays flat.
Result<void> get(Reader& r, std::uint64_t& out) {
  auto v = r.read_var_uint();
  if (!v) return std::unexpected(v.error());
  out = *v;
  return {};
}
Result<void> get_saturating(Reader& r, std::uint64_t& out) {
  auto v = r.read_var_uint_saturating();
  if (!v) return std::unexpected(v.error());
  out = *v;
  return {};
}
Result<void> get(Reader& r, std::uint8_t& out) {
  auto v = r.read_u8();
  if (!v) return std::unexpected(v.error());
  out = *v;
  return {};
}
Result<void> get(Reader& r, std::string& out) {
  auto v = r.read_var_octets();
  if (!v) return std::unexpected(v.error());
  out = to_string(*v);
  return {};
}
Result<void> get(Reader& r, Bytes& out) {
  auto v = r.read_var_octets();
  if (!v) return std::unexpected(v.error());
  out.assign(v->begin(), v->end());
  return {};
}

// Applies each field reader in order; stops at the first failure.
template <class... Steps>
Result<void> all(Steps&&... steps) {
  Result<void> status;
  ((status.has_value() ? (void)(status = steps()) : (void)0), ...);
  return status;
}

template <class T>
Result<Frame> parse(T frame, Result<void> status) {
  if (!status) return std::unexpected(status.error());
  return Frame(std::move(frame));
}

Result<std::optional<Frame>> parse_contents(std::uint8_t type, ByteView contents) {
  Reader r(contents);
  Result<Frame> out = fail(kErrBadType, "unknown frame type");
  switch (static_cast<FrameType>(type)) {
    case FrameType::kConnectionClose: {
      ConnectionClose f;
      auto s = all([&] { return get(r, f.error_code); }, [&] { return get(r, f.message); });
      out = parse(std::move(f), s);
      break;
    }
    case FrameType::kConnectionNewAddress: {
      ConnectionNewAddress f;
      auto s = get(r, f.source_address);
      out = parse(std::move(f), s);
      break;
    }
    case FrameType::kConnectionMaxData: {
      ConnectionMaxData f;
      auto s = get(r, f.max_offset);
      out = parse(f, s);
      break;
    }
    case FrameType::kConnectionDataBlocked: {
      ConnectionDataBlocked f;
      auto s = get(r, f.max_offset);
      out = parse(f, s);
      break;
    }
    case FrameType::kConnectionMaxStreamId: {
      ConnectionMaxStreamId f;
      auto s = get(r, f.max_stream_id);
      out = parse(f, s);
      break;
    }
    case FrameType::kConnectionStreamIdBlocked: {
      ConnectionStreamIdBlocked f;
      auto s = get(r, f.max_stream_id);
      out = parse(f, s);
      break;
    }
    case FrameType::kConnectionAssetDetails: {
      ConnectionAssetDetails f;
      auto s = all([&] { return get(r, f.asset_code); }, [&] { return get(r, f.asset_scale); });
      out = parse(std::move(f), s);
      break;
    }
    case FrameType::kStreamClose: {
      StreamClose f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.error_code); },
                   [&] { return get(r, f.message); });
      out = parse(std::move(f), s);
      break;
    }
    case FrameType::kStreamMoney: {
      StreamMoney f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.shares); });
      out = parse(f, s);
      break;
    }
    case FrameType::kStreamMaxMoney: {
      StreamMaxMoney f;
      auto s =
          all([&] { return get(r, f.stream_id); }, [&] { return get_saturating(r, f.receive_max); },
              [&] { return get(r, f.total_received); });
      out = parse(f, s);
      break;
    }
    case FrameType::kStreamMoneyBlocked: {
      StreamMoneyBlocked f;
      auto s =
          all([&] { return get(r, f.stream_id); }, [&] { return get_saturating(r, f.send_max); },
              [&] { return get(r, f.total_sent); });
      out = parse(f, s);
      break;
    }
    case FrameType::kStreamData: {
      StreamData f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.offset); },
                   [&] { return get(r, f.data); });
      out = parse(std::move(f), s);
      break;
    }
    case FrameType::kStreamMaxData: {
      StreamMaxData f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.max_offset); });
      out = parse(f, s);
      break;
    }
    case FrameType::kStreamDataBlocked: {
      StreamDataBlocked f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.max_offset); });
      out = parse(f, s);
      break;
    }
    case FrameType::kStreamReceipt: {
      StreamReceipt f;
      auto s = all([&] { return get(r, f.stream_id); }, [&] { return get(r, f.receipt); });
      out = parse(std::move(f), s);
      break;
    }
    default:
      return std::optional<Frame>();  // unknown: skipped
  }
  if (!out) return std::unexpected(out.error());
  return std::optional<Frame>(std::move(*out));
}

}  // namespace

FrameType frame_type(const Frame& frame) {
  return std::visit([](const auto& f) { return type_of<std::decay_t<decltype(f)>>(); }, frame);
}

std::string_view frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::kConnectionClose:
      return "ConnectionClose";
    case FrameType::kConnectionNewAddress:
      return "ConnectionNewAddress";
    case FrameType::kConnectionMaxData:
      return "ConnectionMaxData";
    case FrameType::kConnectionDataBlocked:
      return "ConnectionDataBlocked";
    case FrameType::kConnectionMaxStreamId:
      return "ConnectionMaxStreamId";
    case FrameType::kConnectionStreamIdBlocked:
      return "ConnectionStreamIdBlocked";
    case FrameType::kConnectionAssetDetails:
      return "ConnectionAssetDetails";
    case FrameType::kStreamClose:
      return "StreamClose";
    case FrameType::kStreamMoney:
      return "StreamMoney";
    case FrameType::kStreamMaxMoney:
      return "StreamMaxMoney";
    case FrameType::kStreamMoneyBlocked:
      return "StreamMoneyBlocked";
    case FrameType::kStreamData:
      return "StreamData";
    case FrameType::kStreamMaxData:
      return "StreamMaxData";
    case FrameType::kStreamDataBlocked:
      return "StreamDataBlocked";
    case FrameType::kStreamReceipt:
      return "StreamReceipt";
  }
  return "Unknown";
}

void write_frame(Writer& writer, const Frame& frame) {
  Writer contents;
  std::visit([&](const auto& f) { write_contents(contents, f); }, frame);
  writer.write_u8(static_cast<std::uint8_t>(frame_type(frame)));
  writer.write_var_octets(contents.bytes());
}

Bytes encode_frame(const Frame& frame) {
  Writer writer;
  write_frame(writer, frame);
  return std::move(writer).take();
}

Result<std::optional<Frame>> read_frame(Reader& reader) {
  Reader attempt = reader;
  auto type = attempt.read_u8();
  if (!type) return std::unexpected(type.error());
  auto contents = attempt.read_var_octets();
  if (!contents) return std::unexpected(contents.error());
  auto frame = parse_contents(*type, *contents);
  if (!frame) return std::unexpected(frame.error());
  reader = attempt;
  return frame;
}

}  // namespace rafiki::ilp::stream
