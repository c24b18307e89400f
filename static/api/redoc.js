/* Starts Redoc on the API docs page (templates/api/redoc.html). Redoc writes its styles into <style>
   elements; the Content-Security-Policy admits them only with this request's nonce, which the page gives
   this script's own tag (readable as `currentScript.nonce`, hidden from CSS and the DOM attribute). */
(function () {
  "use strict";
  var me = document.currentScript;
  Redoc.init(me.dataset.schemaUrl, { nonce: me.nonce }, document.getElementById("redoc-container"));
})();
