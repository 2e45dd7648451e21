//! `messages.rs` of a generated crate: the message enums of both directions (`Incoming`,
//! `Outgoing`), each with its decoder and encoder; `MessageKind`, the `Copy` identity of every
//! message; `Api`, which ties them to the runtime; and, for what the generated side receives, the
//! `Handler` trait with `dispatch`.
//!
//! Payloads are boxed in the enums, so that an enum is a few words whatever the payloads' size
//! and moving one through a channel or a `Result` copies no payload.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{docs, ident};
use crate::ir::{Api, Direction, Dispatch, Message};
use crate::types::Types;

/// One of the two message enums.
#[derive(Clone, Copy)]
enum Side {
    /// What the generated side receives.
    Incoming,
    /// What it sends.
    Outgoing,
}

impl Side {
    fn direction(self) -> Direction {
        match self {
            Side::Incoming => Direction::Receive,
            Side::Outgoing => Direction::Send,
        }
    }

    fn ident(self) -> Ident {
        ident(match self {
            Side::Incoming => "Incoming",
            Side::Outgoing => "Outgoing",
        })
    }

    fn messages(self, api: &Api) -> impl Iterator<Item = &Message> {
        api.messages.iter().filter(move |m| m.direction == self.direction())
    }
}

/// The Rust type of a message's payload.
pub(super) fn payload_type(types: &Types, m: &Message) -> TokenStream {
    match m.payload.as_ref().and_then(|p| types.paths.get(p)) {
        Some(path) => quote!(crate::types::#path),
        None => quote!(::serde_json::Value),
    }
}

/// The address a message travels on, for its docs.
fn address(api: &Api, m: &Message) -> String {
    let channel = &api.channels[m.channel];
    channel.address.clone().unwrap_or_else(|| channel.key.clone())
}

pub(super) fn emit(api: &Api, types: &Types) -> TokenStream {
    let mut items = vec![kind_enum(api), kind_impl(api)];
    for side in [Side::Incoming, Side::Outgoing] {
        items.extend([
            message_enum(api, types, side),
            inherent_impl(api, side),
            on_connect(api, side),
            headers_items(api, types, side),
            runtime_impl(api, types, side),
            from_impls(api, types, side),
        ]);
    }
    items.extend([outgoing_extras(api), api_impl(), decode_fn(), handler_trait(api, types), dispatch_fns(api)]);
    quote! {
        use crate::channels::Channel;
        #(#items)*
    }
}

fn kind_enum(api: &Api) -> TokenStream {
    let variants = api.messages.iter().map(|m| {
        let v = ident(&m.ident);
        let line = format!(
            " `{}`, {} on `{}`.",
            m.key,
            if m.direction == Direction::Receive { "received" } else { "sent" },
            address(api, m)
        );
        quote! { #[doc = #line] #v }
    });
    quote! {
        /// Every message of the API, in both directions: the identity of a message without its
        /// payload.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MessageKind {
            #(#variants,)*
        }
    }
}

fn kind_impl(api: &Api) -> TokenStream {
    let idents: Vec<_> = api.messages.iter().map(|m| ident(&m.ident)).collect();
    let keys = api.messages.iter().map(|m| &m.key);
    let channels = api.messages.iter().map(|m| ident(&api.channels[m.channel].ident));
    let received = api.messages.iter().map(|m| m.direction == Direction::Receive);
    let body = |arms: TokenStream| {
        if idents.is_empty() {
            quote! { match self {} }
        } else {
            arms
        }
    };
    let name = body(quote! { match self { #(MessageKind::#idents => #keys,)* } });
    let channel = body(quote! { match self { #(MessageKind::#idents => Channel::#channels,)* } });
    let is_received = body(quote! { match self { #(MessageKind::#idents => #received,)* } });
    let bindings = bindings_body(api, &idents);
    quote! {
        impl MessageKind {
            /// Every message, in document order.
            pub const ALL: &'static [MessageKind] = &[#(MessageKind::#idents),*];

            /// The message's name in the AsyncAPI document.
            pub fn name(self) -> &'static str {
                #name
            }

            /// The channel the message travels on.
            pub fn channel(self) -> Channel {
                #channel
            }

            /// Whether the generated side receives this message (else it sends it).
            pub fn is_received(self) -> bool {
                #is_received
            }
        }

        impl ::asyncapi_runtime::MessageKind for MessageKind {
            fn name(self) -> &'static str {
                MessageKind::name(self)
            }

            fn is_received(self) -> bool {
                MessageKind::is_received(self)
            }

            fn address(self) -> &'static str {
                self.channel().address()
            }

            fn bindings(self) -> ::asyncapi_runtime::Bindings {
                #bindings
            }
        }

        impl ::std::fmt::Display for MessageKind {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    }
}

/// The operation bindings of each message, as the runtime reads them; one arm per message with
/// any.
fn bindings_body(api: &Api, idents: &[Ident]) -> TokenStream {
    let arms: Vec<_> = api
        .messages
        .iter()
        .zip(idents)
        .filter(|(m, _)| m.bindings != crate::ir::Bindings::default())
        .map(|(m, v)| {
            let b = &m.bindings;
            let qos = match b.mqtt_qos {
                Some(q) => quote!(Some(#q)),
                None => quote!(None),
            };
            let retain = b.mqtt_retain;
            let queue = match &b.nats_queue {
                Some(q) => quote!(Some(#q)),
                None => quote!(None),
            };
            quote! {
                MessageKind::#v => ::asyncapi_runtime::Bindings { mqtt_qos: #qos, mqtt_retain: #retain, nats_queue: #queue },
            }
        })
        .collect();
    if arms.is_empty() {
        return quote! { ::asyncapi_runtime::Bindings::NONE };
    }
    let rest = (arms.len() < api.messages.len()).then(|| quote! { _ => ::asyncapi_runtime::Bindings::NONE, });
    quote! { match self { #(#arms)* #rest } }
}

fn message_enum(api: &Api, types: &Types, side: Side) -> TokenStream {
    let name = side.ident();
    let variants = side.messages(api).map(|m| {
        let doc = docs(&m.docs);
        let v = ident(&m.ident);
        let ty = payload_type(types, m);
        let line = match side {
            Side::Incoming => format!(" Received on `{}`.", address(api, m)),
            Side::Outgoing => format!(" Sent on `{}`.", address(api, m)),
        };
        let first =
            m.on_connect.then(|| quote! { #[doc = ""] #[doc = " Sent as the first frame on every new connection."] });
        let headers = headers_doc(types, m);
        quote! { #doc #[doc = ""] #[doc = #line] #first #headers #v(Box<#ty>) }
    });
    let doc = match side {
        Side::Incoming => " A message the generated side receives, decoded from one frame.",
        Side::Outgoing => " A message the generated side sends.",
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#variants,)*
            /// A frame that is valid JSON but matches no message of this direction (a newer
            /// server, a channel the document does not describe). Kept whole, never dropped; sent
            /// as it is.
            Unknown(::asyncapi_runtime::UnknownFrame),
        }
    }
}

/// A doc line naming the message's header type, for a message that declares headers.
fn headers_doc(types: &Types, m: &Message) -> TokenStream {
    match m.headers.as_ref().and_then(|h| types.paths.get(h)) {
        Some(path) => {
            let line = format!(" Headers (carried by the transport, not the frame): [`crate::types::{path}`].");
            quote! { #[doc = ""] #[doc = #line] }
        }
        None => quote! {},
    }
}

fn inherent_impl(api: &Api, side: Side) -> TokenStream {
    let name = side.ident();
    let vs: Vec<_> = side.messages(api).map(|m| ident(&m.ident)).collect();
    let channels = side.messages(api).map(|m| ident(&api.channels[m.channel].ident));
    let decode = decode_body(api, api.routing.of(side.direction()));
    let decode_at = decode_at_body(api, side);
    let doc = dispatch_doc(api, api.routing.of(side.direction()));
    let correlation = correlation_body(api, side);
    quote! {
        impl #name {
            /// Decodes one text frame into the message it carries.
            ///
            #(#[doc = #doc])*
            ///
            /// A frame that is not JSON, or whose payload does not match its message's schema,
            /// is a [`DecodeError`](::asyncapi_runtime::DecodeError) that says where; a
            /// well-formed frame for a message the document does not describe is `Unknown`.
            pub fn decode(frame: &str) -> Result<Self, ::asyncapi_runtime::DecodeError> {
                #decode
            }

            /// Decodes one frame that arrived on `address` (a broker's topic or subject): the
            /// first channel whose address it is or fills in (exact addresses first) picks the
            /// message, among that channel's own by their tag where it has several. A frame on
            /// an address of no channel this way is `Unknown`.
            pub fn decode_at(address: &str, frame: &str) -> Result<Self, ::asyncapi_runtime::DecodeError> {
                #decode_at
            }

            /// The message as one JSON text frame (an unknown frame exactly as it was received).
            pub fn to_frame(&self) -> Result<String, ::serde_json::Error> {
                match self {
                    #(#name::#vs(payload) => ::serde_json::to_string(payload),)*
                    #name::Unknown(frame) => Ok(frame.raw.clone()),
                }
            }

            /// Which message this is (`None` for a frame the document does not describe).
            pub fn kind(&self) -> Option<MessageKind> {
                match self {
                    #(#name::#vs(_) => Some(MessageKind::#vs),)*
                    #name::Unknown(_) => None,
                }
            }

            /// The channel the message belongs to (`None` for an unknown frame).
            pub fn channel(&self) -> Option<Channel> {
                match self {
                    #(#name::#vs(_) => Some(Channel::#channels),)*
                    #name::Unknown(_) => None,
                }
            }

            /// The correlation id the message carries (`correlationId` in the document), which
            /// pairs a reply with its request.
            pub fn correlation_id(&self) -> Option<String> {
                #correlation
            }
        }
    }
}

fn correlation_body(api: &Api, side: Side) -> TokenStream {
    let name = side.ident();
    let arms: Vec<_> = side
        .messages(api)
        .filter_map(|m| {
            let v = ident(&m.ident);
            let pointer = m.correlation.as_ref()?;
            Some(quote! { #name::#v(payload) => ::asyncapi_runtime::__private::correlation_of(payload, #pointer) })
        })
        .collect();
    if arms.is_empty() {
        return quote! { None };
    }
    quote! {
        match self {
            #(#arms,)*
            _ => None,
        }
    }
}

/// The messages of `side` that declare headers, with their headers' type.
fn with_headers<'a>(api: &'a Api, types: &'a Types, side: Side) -> impl Iterator<Item = (&'a Message, TokenStream)> {
    side.messages(api).filter_map(|m| {
        let path = types.paths.get(m.headers.as_ref()?)?;
        Some((m, quote!(crate::types::#path)))
    })
}

/// The typed headers enums the crate has (`IncomingHeaders`, `OutgoingHeaders`), for the crate
/// root's re-exports.
pub(super) fn headers_enums(api: &Api, types: &Types) -> Vec<Ident> {
    [Side::Incoming, Side::Outgoing]
        .into_iter()
        .filter(|&side| with_headers(api, types, side).next().is_some())
        .map(headers_ident)
        .collect()
}

/// The name of `side`'s typed headers enum (`IncomingHeaders`).
fn headers_ident(side: Side) -> Ident {
    ident(&format!("{}Headers", side.ident()))
}

/// `IncomingHeaders` (or `OutgoingHeaders`), a variant per message of the side that declares
/// headers, and the inherent `headers` that reads a transport's header pairs into it. Nothing
/// for a side where no message declares headers: its runtime type is `NoHeaders`.
fn headers_items(api: &Api, types: &Types, side: Side) -> TokenStream {
    let declared: Vec<_> = with_headers(api, types, side).collect();
    if declared.is_empty() {
        return quote! {};
    }
    let name = side.ident();
    let enum_name = headers_ident(side);
    let variants = declared.iter().map(|(m, ty)| {
        let v = ident(&m.ident);
        let doc = format!(" The headers of `{}`.", m.key);
        quote! { #[doc = #doc] #v(#ty) }
    });
    let arms = declared.iter().map(|(m, _)| {
        let v = ident(&m.ident);
        let message = &m.key;
        quote! {
            #name::#v(_) => ::asyncapi_runtime::__private::message_headers(#message, pairs).map(|h| Some(#enum_name::#v(h)))
        }
    });
    let enum_doc =
        format!(" The typed headers of an [`{name}`] message, one variant per message that declares headers.");
    let rest = (declared.len() < side.messages(api).count()).then(|| quote! { _ => Ok(None), });
    let rest = rest.unwrap_or_else(|| quote! { #name::Unknown(_) => Ok(None), });
    quote! {
        #[doc = #enum_doc]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #enum_name {
            #(#variants,)*
        }

        impl #name {
            /// This message's headers, typed by its `headers` schema, from the name/value pairs a
            /// transport carried (MQTT 5 user properties, NATS headers: the transport's
            /// `Received::headers`). The first value of each name counts; numbers and booleans
            /// are read from their text. `None` for a message that declares no headers and for
            /// an unknown frame.
            pub fn headers(&self, pairs: &[(String, String)]) -> Result<Option<#enum_name>, ::asyncapi_runtime::DecodeError> {
                match self {
                    #(#arms,)*
                    #rest
                }
            }
        }
    }
}

fn runtime_impl(api: &Api, types: &Types, side: Side) -> TokenStream {
    let name = side.ident();
    let headers = if with_headers(api, types, side).next().is_some() {
        let enum_name = headers_ident(side);
        quote! {
            type Headers = #enum_name;

            fn headers(&self, pairs: &[(String, String)]) -> Result<Option<#enum_name>, ::asyncapi_runtime::DecodeError> {
                #name::headers(self, pairs)
            }
        }
    } else {
        quote! {
            type Headers = ::asyncapi_runtime::NoHeaders;

            fn headers(&self, _pairs: &[(String, String)]) -> Result<Option<::asyncapi_runtime::NoHeaders>, ::asyncapi_runtime::DecodeError> {
                Ok(None)
            }
        }
    };
    quote! {
        impl ::asyncapi_runtime::Message for #name {
            type Kind = MessageKind;

            #headers

            fn decode(frame: &str) -> Result<Self, ::asyncapi_runtime::DecodeError> {
                #name::decode(frame)
            }

            fn decode_at(address: &str, frame: &str) -> Result<Self, ::asyncapi_runtime::DecodeError> {
                #name::decode_at(address, frame)
            }

            fn to_frame(&self) -> Result<String, ::serde_json::Error> {
                #name::to_frame(self)
            }

            fn kind(&self) -> Option<MessageKind> {
                #name::kind(self)
            }

            fn correlation_id(&self) -> Option<String> {
                #name::correlation_id(self)
            }
        }
    }
}

/// An unknown frame, routed by `tag` (an expression of type `Option<&str>`).
fn unknown(tag: TokenStream) -> TokenStream {
    quote! {
        Ok(Self::Unknown(::asyncapi_runtime::UnknownFrame::new(#tag, frame)))
    }
}

fn decode_arm(m: &Message) -> TokenStream {
    let v = ident(&m.ident);
    let key = &m.key;
    quote! { ::asyncapi_runtime::__private::parse(frame, #key).map(Self::#v) }
}

/// Tries each message of `order` in turn; the first whose payload type decodes the frame wins.
fn tries(api: &Api, order: &[usize]) -> TokenStream {
    let tries = order.iter().map(|&i| {
        let v = ident(&api.messages[i].ident);
        quote! {
            if let Ok(payload) = ::serde_json::from_str(frame) {
                return Ok(Self::#v(payload));
            }
        }
    });
    quote! { #(#tries)* }
}

/// The body of `decode_at`: one test per channel that has messages this way, exact addresses
/// before templates, each returning its channel's own dispatch.
fn decode_at_body(api: &Api, side: Side) -> TokenStream {
    let direction = side.direction();
    let with_messages: Vec<usize> =
        (0..api.channels.len()).filter(|&c| !matches!(api.routing.of_channel(c, direction), Dispatch::None)).collect();
    let address = |c: usize| {
        let channel = &api.channels[c];
        channel.address.clone().unwrap_or_else(|| channel.key.clone())
    };
    let (exact, templates): (Vec<usize>, Vec<usize>) =
        with_messages.into_iter().partition(|&c| !address(c).contains('{'));
    let tests = exact.iter().chain(&templates).map(|&c| {
        let text = address(c);
        let dispatch = api.routing.of_channel(c, direction);
        let body = decode_body(api, dispatch);
        // One message is an expression; a tag or tries are statements, so a block.
        let body = if matches!(dispatch, Dispatch::Single(_)) { body } else { quote!({ #body }) };
        let test = if text.contains('{') {
            quote! { ::asyncapi_runtime::__private::match_template(#text, address).is_some() }
        } else {
            quote! { address == #text }
        };
        quote! {
            if #test {
                return #body;
            }
        }
    });
    let unknown = unknown(quote!(None));
    let unused = (exact.is_empty() && templates.is_empty()).then(|| quote! { let _ = address; });
    quote! {
        #unused
        #(#tests)*
        ::asyncapi_runtime::__private::check_json(frame)?;
        #unknown
    }
}

fn decode_body(api: &Api, dispatch: &Dispatch) -> TokenStream {
    let none = quote!(None);
    match dispatch {
        Dispatch::None => {
            let unknown = unknown(none);
            quote! {
                ::asyncapi_runtime::__private::check_json(frame)?;
                #unknown
            }
        }
        Dispatch::Single(i) => decode_arm(&api.messages[*i]),
        Dispatch::Tagged { path, cases, fallback } => {
            let path_str = path.join(".");
            let values = cases.iter().map(|(v, _)| v);
            let arms = cases.iter().map(|(_, i)| decode_arm(&api.messages[*i]));
            let tries = tries(api, fallback);
            let unknown = unknown(quote!(Some(tag)));
            quote! {
                let tag = ::asyncapi_runtime::__private::peek_tag(frame, &[#(#path),*])?;
                match tag.as_deref() {
                    #(Some(#values) => #arms,)*
                    tag => {
                        #tries
                        match tag {
                            Some(tag) => #unknown,
                            None => Err(
                                ::asyncapi_runtime::DecodeError::MissingTag { path: #path_str },
                            ),
                        }
                    }
                }
            }
        }
        Dispatch::Ordered(order) => {
            let tries = tries(api, order);
            let unknown = unknown(none);
            quote! {
                #tries
                ::asyncapi_runtime::__private::check_json(frame)?;
                #unknown
            }
        }
    }
}

fn dispatch_doc(api: &Api, dispatch: &Dispatch) -> Vec<String> {
    match dispatch {
        Dispatch::None => vec![" The document declares no message this way: every frame is `Unknown`.".into()],
        Dispatch::Single(i) => vec![format!(" Every frame is decoded as `{}`.", api.messages[*i].key)],
        Dispatch::Tagged { path, fallback, .. } => {
            let mut doc = vec![format!(
                " Routing: the string at `{}` picks the message; the frame is then decoded in one typed pass (the tag is found by a scan that stops as soon as it has read it).",
                path.join(".")
            )];
            if !fallback.is_empty() {
                doc.push(" Frames without a known tag are tried against the untagged messages in document order.".into());
            }
            doc
        }
        Dispatch::Ordered(_) => vec![
            " Routing: no property tells these messages apart, so a frame is tried against each in document order and the first that decodes wins.".into(),
        ],
    }
}

/// `From<Payload> for Incoming/Outgoing` where a payload type belongs to exactly one message of
/// that direction.
fn from_impls(api: &Api, types: &Types, side: Side) -> TokenStream {
    let name = side.ident();
    let mut by_type: BTreeMap<String, Vec<&Message>> = BTreeMap::new();
    for m in side.messages(api).filter(|m| m.payload.is_some()) {
        by_type.entry(payload_type(types, m).to_string()).or_default().push(m);
    }
    let impls = by_type.values().filter(|ms| ms.len() == 1).map(|ms| {
        let v = ident(&ms[0].ident);
        let ty = payload_type(types, ms[0]);
        quote! {
            impl From<#ty> for #name {
                fn from(payload: #ty) -> Self {
                    #name::#v(Box::new(payload))
                }
            }
        }
    });
    quote! { #(#impls)* }
}

/// `ON_CONNECT`: the messages of this direction that the connecting side sends first on every
/// new connection (the client's credentials: in `Outgoing` of a client, in `Incoming` of the
/// server, which expects them).
fn on_connect(api: &Api, side: Side) -> TokenStream {
    let name = side.ident();
    let first = side.messages(api).filter(|m| m.on_connect).map(|m| ident(&m.ident));
    let doc = match side {
        Side::Incoming => {
            " The messages a client sends first on every new connection, in order: what this side expects before anything else."
        }
        Side::Outgoing => " The messages this side sends first on every new connection, in order.",
    };
    quote! {
        impl #name {
            #[doc = #doc]
            pub const ON_CONNECT: &'static [MessageKind] = &[#(MessageKind::#first),*];
        }
    }
}

/// `Outgoing::replies`.
fn outgoing_extras(api: &Api) -> TokenStream {
    let reply_arms: Vec<_> = Side::Outgoing
        .messages(api)
        .filter(|m| !m.replies.is_empty())
        .map(|m| {
            let v = ident(&m.ident);
            let replies = m.replies.iter().map(|&r| ident(&api.messages[r].ident));
            quote! { Outgoing::#v(_) => &[#(MessageKind::#replies),*] }
        })
        .collect();
    let replies = if reply_arms.is_empty() {
        quote! { &[] }
    } else {
        quote! { match self { #(#reply_arms,)* _ => &[] } }
    };
    quote! {
        impl Outgoing {
            /// The messages that answer this one (the operation's `reply`); empty when no reply is
            /// declared.
            pub fn replies(&self) -> &'static [MessageKind] {
                #replies
            }
        }
    }
}

fn api_impl() -> TokenStream {
    quote! {
        /// The document as the runtime sees it: its message kinds, the two message enums, the
        /// on-connect messages, its servers and its examples. A type only, with no values.
        #[derive(Debug)]
        pub enum Api {}

        impl ::asyncapi_runtime::Api for Api {
            type Kind = MessageKind;
            type Incoming = Incoming;
            type Outgoing = Outgoing;

            const ON_CONNECT: &'static [MessageKind] = Outgoing::ON_CONNECT;
            const KINDS: &'static [MessageKind] = MessageKind::ALL;
            const SERVERS: &'static [::asyncapi_runtime::Server] = crate::servers::SERVERS;
            const EXAMPLES: &'static [::asyncapi_runtime::Example<MessageKind>] = crate::servers::EXAMPLES;
        }
    }
}

fn decode_fn() -> TokenStream {
    quote! {
        /// Decodes one received text frame: [`Incoming::decode`].
        pub fn decode(frame: &str) -> Result<Incoming, ::asyncapi_runtime::DecodeError> {
            Incoming::decode(frame)
        }
    }
}

fn handler_trait(api: &Api, types: &Types) -> TokenStream {
    let methods = Side::Incoming.messages(api).map(|m| {
        let doc = docs(&m.docs);
        let name = ident(&format!("on_{}", m.method));
        let ty = payload_type(types, m);
        quote! {
            #doc
            fn #name(&mut self, message: #ty) {
                let _ = message;
            }
        }
    });
    quote! {
        /// Receives every message, typed. Implement the methods you need; the others ignore their
        /// message.
        pub trait Handler {
            #(#methods)*

            /// A frame for a message the document does not describe.
            fn on_unknown(&mut self, frame: ::asyncapi_runtime::UnknownFrame) {
                let _ = frame;
            }
        }
    }
}

fn dispatch_fns(api: &Api) -> TokenStream {
    let arms = Side::Incoming.messages(api).map(|m| {
        let v = ident(&m.ident);
        let name = ident(&format!("on_{}", m.method));
        quote! { Incoming::#v(message) => handler.#name(*message) }
    });
    quote! {
        /// Hands `message` to the matching method of `handler`.
        pub fn dispatch<H: Handler + ?Sized>(handler: &mut H, message: Incoming) {
            match message {
                #(#arms,)*
                Incoming::Unknown(frame) => handler.on_unknown(frame),
            }
        }

        impl<H: Handler + ?Sized> ::asyncapi_runtime::Dispatch<H> for Incoming {
            fn dispatch(self, handler: &mut H) {
                dispatch(handler, self);
            }
        }
    }
}
