/* A small tus 1.0.0 client for the pages (no dependencies).

     MotcuaTus.upload(file, {
       endpoint: "/api/v1/uploads",                 // default
       metadata: {dossier: reference, slot: "id_card", filename: file.name},
       chunkSize: 5 * 1024 * 1024,                  // default
       onProgress: function (sent, total) {},       // optional
       signal: abortController.signal               // optional
     }) -> Promise<{fileId, uploadUrl}>

   The upload is created (POST), then sent chunk by chunk (PATCH). On a network error or a
   server error it waits 1 s, 3 s, 5 s, then 10 s, asks the server how much arrived (HEAD)
   and goes on from there. The upload's URL is kept in localStorage under the dossier, slot,
   file name, size and modification time, so choosing the same file again after a reload
   resumes where it stopped. A refusal (4xx) rejects with the server's problem+json `detail`
   as the Error's message (also `error.status` and `error.problem`). The browser's session
   cookie authenticates the requests; every request carries Tus-Resumable, which is also what
   keeps them from being forged by another site. */
(function () {
  "use strict";

  var TUS_VERSION = "1.0.0";
  var RETRY_DELAYS = [1000, 3000, 5000, 10000];
  var STORE_PREFIX = "motcua-tus:";

  function english() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  }

  function message(vi, en) {
    return english() ? en : vi;
  }

  function storeKey(file, metadata) {
    return STORE_PREFIX + [
      metadata.dossier, metadata.slot, file.name, file.size, file.lastModified
    ].join("|");
  }

  function remembered(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: uploads still work, without resuming after a reload
    }
  }

  function remember(key, url) {
    try {
      if (url) window.localStorage.setItem(key, url);
      else window.localStorage.removeItem(key);
    } catch (e) {
      /* storage full or disabled: nothing to keep */
    }
  }

  function base64(text) {
    // UTF-8 bytes of the text, then base64 (file names are often Vietnamese).
    var bytes = new TextEncoder().encode(String(text));
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return window.btoa(binary);
  }

  function encodeMetadata(metadata) {
    return Object.keys(metadata)
      .filter(function (key) { return metadata[key] !== undefined && metadata[key] !== null; })
      .map(function (key) { return key + " " + base64(metadata[key]); })
      .join(",");
  }

  function abortError(signal) {
    if (signal && signal.reason instanceof Error) return signal.reason;
    var error = new Error(message("Đã huỷ tải lên.", "Upload cancelled."));
    error.name = "AbortError";
    return error;
  }

  function NetworkError() {
    var error = new Error(message(
      "Mất kết nối tới máy chủ: tệp chưa tải lên xong. Vui lòng thử lại.",
      "The connection to the server was lost: the file is not fully uploaded. Please try again."
    ));
    error.name = "NetworkError";
    return error;
  }

  /* One request through XMLHttpRequest (fetch cannot report upload progress). Resolves with
     the response whatever its status; rejects on a network failure or an abort. */
  function send(method, url, headers, body, signal, onUploadProgress) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) {
        reject(abortError(signal));
        return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      xhr.setRequestHeader("Tus-Resumable", TUS_VERSION);
      xhr.setRequestHeader("Accept", "application/problem+json, application/json");
      xhr.setRequestHeader("Accept-Language", english() ? "en" : "vi");
      function onAbort() { xhr.abort(); }
      if (signal) signal.addEventListener("abort", onAbort);
      function done() { if (signal) signal.removeEventListener("abort", onAbort); }
      if (onUploadProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) { onUploadProgress(event.loaded); };
      }
      xhr.onload = function () {
        done();
        resolve({
          status: xhr.status,
          header: function (name) { return xhr.getResponseHeader(name); },
          text: xhr.responseText
        });
      };
      xhr.onerror = xhr.ontimeout = function () { done(); reject(NetworkError()); };
      xhr.onabort = function () { done(); reject(abortError(signal)); };
      xhr.send(body === undefined ? null : body);
    });
  }

  function refusal(response) {
    var problem = null;
    try {
      problem = JSON.parse(response.text);
    } catch (e) {
      problem = null;
    }
    var detail = problem && problem.detail ? problem.detail : message(
      "Máy chủ từ chối tệp (mã " + response.status + ").",
      "The server refused the file (status " + response.status + ")."
    );
    var error = new Error(detail);
    error.name = "UploadRefused";
    error.status = response.status;
    error.problem = problem;
    return error;
  }

  function wait(ms, signal) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) {
        reject(abortError(signal));
        return;
      }
      var timer = window.setTimeout(function () {
        if (signal) signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      function onAbort() {
        window.clearTimeout(timer);
        reject(abortError(signal));
      }
      if (signal) signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  function isGone(status) {
    return status === 404 || status === 410;
  }

  function upload(file, options) {
    options = options || {};
    var endpoint = options.endpoint || "/api/v1/uploads";
    var metadata = Object.assign({ filename: file.name }, options.metadata || {});
    var chunkSize = Math.max(1, options.chunkSize || 5 * 1024 * 1024);
    var signal = options.signal;
    var total = file.size;
    var key = storeKey(file, metadata);
    var url = remembered(key);
    var offset = 0;
    var failures = 0;
    var lastError = null;

    function progress(sent) {
      if (options.onProgress) options.onProgress(Math.min(sent, total), total);
    }

    function finished(fileId) {
      remember(key, null);
      progress(total);
      return { fileId: fileId, uploadUrl: url };
    }

    /* After a failure: wait the next delay, or give up with the last error. */
    function backOff(error) {
      lastError = error;
      if (failures >= RETRY_DELAYS.length) return Promise.reject(error);
      var delay = RETRY_DELAYS[failures];
      failures += 1;
      return wait(delay, signal);
    }

    /* Where the server stands (HEAD). Resolves with false when the upload is gone. */
    function resync() {
      return send("HEAD", url, {}, undefined, signal).then(function (response) {
        if (response.status === 200) {
          offset = parseInt(response.header("Upload-Offset"), 10) || 0;
          progress(offset);
          return { fileId: response.header("Upload-File-Id") };
        }
        if (isGone(response.status)) return false;
        if (response.status >= 500) {
          return backOff(refusal(response)).then(resync);
        }
        remember(key, response.status === 401 || response.status === 403 ? url : null);
        throw refusal(response);
      }, function (error) {
        if (error.name === "AbortError") throw error;
        return backOff(error).then(resync);
      });
    }

    function create() {
      return send("POST", endpoint, {
        "Upload-Length": String(total),
        "Upload-Metadata": encodeMetadata(metadata)
      }, undefined, signal).then(function (response) {
        if (response.status !== 201) {
          if (response.status >= 500) return backOff(refusal(response)).then(create);
          throw refusal(response);
        }
        url = new URL(response.header("Location"), window.location.href).href;
        offset = 0;
        remember(key, url);
        return { fileId: null };
      }, function (error) {
        if (error.name === "AbortError") throw error;
        return backOff(error).then(create);
      });
    }

    /* Resume a remembered upload if the server still has it, else start a new one. */
    function start() {
      if (!url) return create();
      return resync().then(function (state) {
        if (state) return state;
        remember(key, null);
        url = null;
        return create();
      });
    }

    function patchFrom(state) {
      if (state && state.fileId) return finished(state.fileId);
      // Past the last byte only an empty PATCH is sent: it asks the server to finish.
      var end = Math.min(offset + chunkSize, total);
      var start = offset;
      return send("PATCH", url, {
        "Upload-Offset": String(start),
        "Content-Type": "application/offset+octet-stream"
      }, file.slice(start, end), signal, function (loaded) {
        progress(start + loaded);
      }).then(function (response) {
        if (response.status === 204) {
          failures = 0;
          offset = parseInt(response.header("Upload-Offset"), 10);
          progress(offset);
          var fileId = response.header("Upload-File-Id");
          if (fileId) return finished(fileId);
          return patchFrom(null);
        }
        if (response.status === 409) {
          // Not where the server stands (a PATCH whose answer was lost): ask, then go on.
          return backOff(refusal(response)).then(resyncThenPatch);
        }
        if (response.status >= 500) {
          return backOff(refusal(response)).then(resyncThenPatch);
        }
        remember(key, response.status === 401 || response.status === 403 ? url : null);
        throw refusal(response);
      }, function (error) {
        if (error.name === "AbortError") throw error;
        return backOff(error).then(resyncThenPatch);
      });
    }

    function resyncThenPatch() {
      return resync().then(function (state) {
        if (state) return patchFrom(state);
        // The server no longer has the upload (it expired, or the last answer refused it).
        remember(key, null);
        throw lastError && lastError.name === "UploadRefused" ? lastError : refusal({
          status: 410,
          text: JSON.stringify({
            detail: message(
              "Phiên tải lên đã hết hạn: hãy chọn lại tệp để tải lên từ đầu.",
              "The upload has expired: choose the file again to upload it from the start."
            )
          })
        });
      });
    }

    return start().then(patchFrom);
  }

  window.MotcuaTus = { upload: upload };
})();
