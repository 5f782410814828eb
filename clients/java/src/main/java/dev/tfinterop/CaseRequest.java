package dev.tfinterop;

import com.google.protobuf.Message;

/** One request to run: its API, the message, and the REST form to use over REST. */
public record CaseRequest(Api api, Message message, RestFormat restFormat) {}
