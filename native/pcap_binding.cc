// synscope's libpcap binding: one live capture handle and the device list. Packets are copied many at a
// time into a buffer JavaScript owns, as classic pcap records with nanosecond timestamps (ts_sec, ts_nsec,
// caplen, origlen, little-endian, then the bytes): the layout src/capture/pcap.ts already walks. The fd is
// watched by libuv (uv_poll), so nothing spins; what the packets mean is the JavaScript side's business.

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

constexpr size_t RECORD_HEADER = 16;
// Fills of the buffer handed to JavaScript per readable event before libuv gets the loop back: bounds
// the time one event can take while a burst keeps the ring full (the next event follows at once).
constexpr int MAX_FILLS_PER_EVENT = 16;

inline void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

Napi::Error PcapError(Napi::Env env, const std::string& message, int status, const char* stage) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("status", Napi::Number::New(env, status));
  e.Set("stage", Napi::String::New(env, stage));
  return e;
}

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Capture", {
      InstanceMethod<&Capture::Start>("start"),
      InstanceMethod<&Capture::Stats>("stats"),
      InstanceMethod<&Capture::Close>("close"),
      InstanceAccessor<&Capture::LinkType>("linkType"),
      InstanceAccessor<&Capture::Snaplen>("snaplen"),
      InstanceAccessor<&Capture::Nanosecond>("nanosecond"),
      InstanceAccessor<&Capture::Warning>("warning"),
    });
  }

  // new Capture(device, { snaplen, bufferSize, timeoutMs, promisc, filter })
  explicit Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      Napi::TypeError::New(env, "Capture(device, options)").ThrowAsJavaScriptException();
      return;
    }
    std::string device = info[0].As<Napi::String>();
    Napi::Object o = info[1].As<Napi::Object>();
    int snaplen = o.Get("snaplen").ToNumber().Int32Value();
    int bufferSize = o.Get("bufferSize").ToNumber().Int32Value();
    int timeoutMs = o.Get("timeoutMs").ToNumber().Int32Value();
    bool promisc = o.Get("promisc").ToBoolean();
    std::string filter = o.Get("filter").ToString();

    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* p = pcap_create(device.c_str(), errbuf);
    if (p == nullptr) {
      PcapError(env, errbuf, PCAP_ERROR, "create").ThrowAsJavaScriptException();
      return;
    }
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    pcap_set_buffer_size(p, bufferSize);
    // Not immediate: libpcap then uses TPACKET_V3, whose blocks hold packets of any size back to back
    // (immediate mode forces TPACKET_V2, one fixed slot per packet). The timeout retires a partly
    // filled block, so a packet waits at most that long in the kernel.
    pcap_set_immediate_mode(p, 0);
    pcap_set_timeout(p, timeoutMs);
    bool nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int status = pcap_activate(p);
    if (status < 0) {
      std::string msg = status == PCAP_ERROR ? std::string(pcap_geterr(p)) : std::string(pcap_statustostr(status));
      if (status != PCAP_ERROR && pcap_geterr(p)[0] != '\0' && msg != pcap_geterr(p)) msg += std::string(" (") + pcap_geterr(p) + ")";
      pcap_close(p);
      PcapError(env, msg, status, "activate").ThrowAsJavaScriptException();
      return;
    }
    if (status > 0) warning_ = std::string(pcap_statustostr(status)) + (pcap_geterr(p)[0] != '\0' ? std::string(": ") + pcap_geterr(p) : "");
    if (!filter.empty()) {
      struct bpf_program prog;
      if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        std::string msg = pcap_geterr(p);
        pcap_close(p);
        PcapError(env, msg, PCAP_ERROR, "filter").ThrowAsJavaScriptException();
        return;
      }
      int r = pcap_setfilter(p, &prog);
      pcap_freecode(&prog);
      if (r != 0) {
        std::string msg = pcap_geterr(p);
        pcap_close(p);
        PcapError(env, msg, PCAP_ERROR, "filter").ThrowAsJavaScriptException();
        return;
      }
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
      pcap_close(p);
      PcapError(env, errbuf, PCAP_ERROR, "activate").ThrowAsJavaScriptException();
      return;
    }
    fd_ = pcap_get_selectable_fd(p);
    if (fd_ < 0) {
      pcap_close(p);
      PcapError(env, "the capture has no selectable descriptor", PCAP_ERROR, "activate").ThrowAsJavaScriptException();
      return;
    }
    nano_ = nano && pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    p_ = p;
    device_ = device;
    snaplen_ = pcap_snapshot(p);
    linkType_ = pcap_datalink(p);
  }

  ~Capture() override { Release(); }

 private:
  // start(buffer, onBatch): from now on, each time packets are ready, they are copied into `buffer` and
  // onBatch(bytes, packets, error) is called; error is libpcap's message when the capture failed (the
  // interface went down or disappeared), after which nothing more comes.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (p_ == nullptr || poll_ != nullptr) {
      Napi::Error::New(env, "capture closed or already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "start(buffer, onBatch)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
    if (b.Length() < RECORD_HEADER + static_cast<size_t>(snaplen_)) {
      Napi::RangeError::New(env, "buffer smaller than one record").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    buffer_ = Napi::Persistent(b.As<Napi::Object>());
    buf_ = b.Data();
    bufLen_ = b.Length();
    onBatch_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = new Napi::AsyncContext(env, "synscope:pcap");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "cannot watch the capture descriptor").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnReadable);
    Ref();  // alive while libuv may call back
    return env.Undefined();
  }

  // stats(): pcap_stats() as { received, dropped, ifdropped } (tcpdump's "received by filter",
  // "dropped by kernel", "dropped by interface"), or null once closed or when libpcap cannot say.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (p_ == nullptr) return env.Null();
    struct pcap_stat st;
    std::memset(&st, 0, sizeof st);
    if (pcap_stats(p_, &st) != 0) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, st.ps_recv));
    o.Set("dropped", Napi::Number::New(env, st.ps_drop));
    o.Set("ifdropped", Napi::Number::New(env, st.ps_ifdrop));
    return o;
  }

  // close(): stops watching and closes the handle (at the end of the current batch when called from onBatch).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (draining_) closePending_ = true;
    else Release();
    return info.Env().Undefined();
  }

  Napi::Value LinkType(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), linkType_); }
  Napi::Value Snaplen(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), snaplen_); }
  Napi::Value Nanosecond(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), nano_); }
  Napi::Value Warning(const Napi::CallbackInfo& info) {
    if (warning_.empty()) return info.Env().Null();
    return Napi::String::New(info.Env(), warning_);
  }

  // libuv reports an error on the descriptor (POLLERR: the interface went down) with status < 0 and
  // stops watching; pcap_dispatch() then says what happened.
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    static_cast<Capture*>(handle->data)->Drain(status);
  }

  static void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
    Capture* c = reinterpret_cast<Capture*>(user);
    uint32_t caplen = h->caplen;
    size_t room = c->bufLen_ - c->used_;
    if (room < RECORD_HEADER) return;  // cannot happen: dispatch is asked for no more than fit
    if (caplen > room - RECORD_HEADER) caplen = static_cast<uint32_t>(room - RECORD_HEADER);
    uint8_t* out = c->buf_ + c->used_;
    PutU32(out, static_cast<uint32_t>(h->ts.tv_sec));
    // With nanosecond precision libpcap puts nanoseconds in tv_usec.
    PutU32(out + 4, static_cast<uint32_t>(c->nano_ ? h->ts.tv_usec : h->ts.tv_usec * 1000));
    PutU32(out + 8, caplen);
    PutU32(out + 12, h->len);
    std::memcpy(out + RECORD_HEADER, bytes, caplen);
    c->used_ += RECORD_HEADER + caplen;
    c->packets_++;
  }

  void Drain(int status) {
    if (p_ == nullptr) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    const size_t slot = RECORD_HEADER + static_cast<size_t>(snaplen_);
    draining_ = true;
    for (int fill = 0; fill < MAX_FILLS_PER_EVENT && p_ != nullptr && !closePending_; fill++) {
      used_ = 0;
      packets_ = 0;
      int failed = 0;
      std::string message;
      for (;;) {
        size_t fit = (bufLen_ - used_) / slot;
        if (fit == 0) break;
        int n = pcap_dispatch(p_, static_cast<int>(fit > 1000000 ? 1000000 : fit), OnPacket, reinterpret_cast<u_char*>(this));
        if (n < 0) {
          failed = n;
          message = n == PCAP_ERROR ? pcap_geterr(p_) : "capture interrupted";
          break;
        }
        if (n == 0) break;
      }
      if (failed == 0 && status < 0 && fill == 0) {
        failed = PCAP_ERROR;
        // The socket's pending error, as libpcap reads it in blocking mode.
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0 && err != ENETDOWN) {
          message = std::string("capture socket error: ") + std::strerror(err);
        } else {
          message = InterfaceState();
          if (message.empty()) message = std::string("the capture descriptor failed: ") + uv_strerror(status);
        }
      }
      bool full = (bufLen_ - used_) / slot == 0;
      if (packets_ > 0 || failed != 0) {
        if (failed != 0) StopPolling();
        napi_value args[3] = {
          Napi::Number::New(env, static_cast<double>(used_)),
          Napi::Number::New(env, packets_),
          failed != 0 ? Napi::String::New(env, message).operator napi_value() : env.Undefined().operator napi_value(),
        };
        onBatch_.MakeCallback(Value(), 3, args, *context_);
      }
      if (failed != 0 || !full) break;
    }
    draining_ = false;
    if (closePending_) Release();
  }

  // Why the interface no longer delivers: "The interface disappeared" / "The interface went down"
  // (libpcap's words), or "" when it looks up.
  std::string InterfaceState() const {
    if (device_ == "any") return "";
    if (if_nametoindex(device_.c_str()) == 0) return "The interface disappeared";
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return "";
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, device_.c_str(), IFNAMSIZ - 1);
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    close(s);
    if (r == 0 && (ifr.ifr_flags & IFF_UP) == 0) return "The interface went down";
    return "";
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    Unref();
  }

  void Release() {
    StopPolling();
    if (p_ != nullptr) {
      pcap_close(p_);
      p_ = nullptr;
    }
    closePending_ = false;
    if (context_ != nullptr) {
      delete context_;
      context_ = nullptr;
    }
    if (!onBatch_.IsEmpty()) onBatch_.Reset();
    if (!buffer_.IsEmpty()) buffer_.Reset();
    buf_ = nullptr;
    bufLen_ = 0;
  }

  std::string device_;
  pcap_t* p_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  int fd_ = -1;
  int snaplen_ = 0;
  int linkType_ = 0;
  bool nano_ = false;
  std::string warning_;
  Napi::ObjectReference buffer_;
  Napi::FunctionReference onBatch_;
  Napi::AsyncContext* context_ = nullptr;
  uint8_t* buf_ = nullptr;
  size_t bufLen_ = 0;
  size_t used_ = 0;
  uint32_t packets_ = 0;
  bool draining_ = false;
  bool closePending_ = false;
};

std::string AddressText(const struct sockaddr* sa) {
  if (sa == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const struct sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const struct sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  }
  return text;
}

// findAllDevs(): pcap_findalldevs() as [{ name, description, flags, addresses: [{ addr, netmask }] }].
Napi::Value FindAllDevs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) != 0) {
    PcapError(env, errbuf, PCAP_ERROR, "findalldevs").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", d->name);
    if (d->description != nullptr) o.Set("description", d->description);
    else o.Set("description", env.Null());
    o.Set("flags", Napi::Number::New(env, d->flags));
    Napi::Array addrs = Napi::Array::New(env);
    uint32_t j = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      std::string addr = AddressText(a->addr);
      if (addr.empty()) continue;
      Napi::Object x = Napi::Object::New(env);
      x.Set("addr", addr);
      std::string mask = AddressText(a->netmask);
      if (!mask.empty()) x.Set("netmask", mask);
      addrs.Set(j++, x);
    }
    o.Set("addresses", addrs);
    list.Set(i++, o);
  }
  pcap_freealldevs(all);
  return list;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Capture", Capture::Define(env));
  exports.Set("findAllDevs", Napi::Function::New(env, FindAllDevs));
  exports.Set("libVersion", Napi::String::New(env, pcap_lib_version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(synscope_pcap, Init)
