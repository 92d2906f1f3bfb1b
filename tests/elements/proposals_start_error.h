// The error a refsegproposals with a given model posts when it goes to
// PAUSED: shared by the TorchScript and the SAM proposal element tests.
#pragma once

#include <string>

#include <gst/check/gstcheck.h>

namespace refseg_test {

// The error posted when an element with this model (or this value of
// `property`) goes to PAUSED ("" if it starts).
inline std::string proposals_start_error(const std::string &model, const char *property = "model") {
  GstElement *e = gst_element_factory_make("refsegproposals", nullptr);
  fail_unless(e != nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  g_object_set(e, property, model.c_str(), nullptr);
  const GstStateChangeReturn ret = gst_element_set_state(e, GST_STATE_PAUSED);
  std::string text;
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    text = err->message;
    g_error_free(err);
    gst_message_unref(msg);
  }
  fail_unless((ret == GST_STATE_CHANGE_FAILURE) == !text.empty(),
              "state change result and error message disagree: '%s'", text.c_str());
  gst_element_set_state(e, GST_STATE_NULL);
  gst_element_set_bus(e, nullptr);
  gst_object_unref(bus);
  gst_object_unref(e);
  return text;
}

}  // namespace refseg_test
