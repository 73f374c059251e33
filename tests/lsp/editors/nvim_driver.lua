-- Drives a real, headless Neovim for tests/lsp/test_editors.py. Everything here goes through
-- Neovim's own LSP client (vim.lsp, vim.diagnostic, vim.lsp.buf): the test starts Neovim with the
-- configuration copied out of docs/editors.md, runs one scenario, and reads the JSON report it writes.
local M = { report = {} }
vim.o.virtualedit = "onemore" -- the cursor may stand after the last character, as in insert mode
local TIMEOUT = 20000

-- What the server says to the user (window/showMessage): keep it, and show it as Neovim does.
M.report.messages = {}
local show_message = vim.lsp.handlers["window/showMessage"]
vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, config)
  table.insert(M.report.messages, result.message)
  return show_message(err, result, ctx, config)
end

-- A menu would wait for a key that never comes: record what it offered and choose nothing.
vim.ui.select = function(items, opts, on_choice)
  M.report.menus = M.report.menus or {}
  table.insert(M.report.menus, vim.tbl_map(opts.format_item or tostring, items))
  on_choice(nil, nil)
end

--- The backbrain client attached to `bufnr` (default: current), once initialized.
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local found
  M.wait("backbrain to attach to " .. vim.api.nvim_buf_get_name(bufnr), function()
    found = vim.lsp.get_clients({ bufnr = bufnr, name = "backbrain" })[1]
    return found ~= nil and found.initialized
  end)
  return found
end

--- Wait for `condition()`, letting Neovim's main loop run meanwhile (the scenario is a coroutine
--- resumed by a timer): typed keys are processed, the completion menu opens, autocommands fire.
function M.wait(what, condition)
  local deadline = vim.uv.hrtime() + TIMEOUT * 1e6
  while not condition() do
    assert(vim.uv.hrtime() < deadline, "timed out waiting for " .. what)
    local scenario = coroutine.running()
    vim.defer_fn(function()
      coroutine.resume(scenario)
    end, 10)
    coroutine.yield()
  end
end

--- Type `keys` as a user would (key notation, e.g. "o[[stamp<C-y>").
function M.type(keys)
  vim.api.nvim_feedkeys(vim.keycode(keys), "t", false)
end

--- Edit `path` (relative to the current folder) and return its buffer.
function M.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

--- Put the cursor on `needle` (plus `offset` characters) in the current buffer, as a user would.
function M.cursor(needle, offset)
  for number, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local start = line:find(needle, 1, true)
    if start then
      local column = vim.str_byteindex(line, "utf-32", vim.str_utfindex(line, "utf-32", start - 1) + (offset or 0))
      vim.api.nvim_win_set_cursor(0, { number, column })
      return
    end
  end
  error("not in the buffer: " .. needle)
end

--- A request at the cursor (or with `params`), answered synchronously; errors raise.
function M.request(method, params)
  local client = M.client()
  params = params or vim.lsp.util.make_position_params(0, client.offset_encoding)
  -- the real buffer number, not 0: Neovim sends the buffer's pending changes first only for it
  local response, err = client:request_sync(method, params, TIMEOUT, vim.api.nvim_get_current_buf())
  assert(response, method .. " got no answer: " .. tostring(err))
  assert(response.err == nil, method .. " failed: " .. vim.inspect(response.err))
  return response.result
end

--- The diagnostics Neovim shows for `bufnr`, once `condition(list)` holds.
function M.diagnostics(bufnr, condition)
  local shown
  M.wait("diagnostics", function()
    shown = vim.diagnostic.get(bufnr)
    return condition(shown)
  end)
  return vim.tbl_map(function(d)
    local lsp = (d.user_data or {}).lsp or {}
    return {
      code = d.code,
      message = d.message,
      line = d.lnum,
      severity = d.severity,
      href = (lsp.codeDescription or {}).href,
    }
  end, shown)
end

function M.has_code(code)
  return function(list)
    for _, d in ipairs(list) do
      if d.code == code then
        return true
      end
    end
    return false
  end
end

--- Whether a buffer is loaded for `path` with the line `line` (an applied edit, not yet saved).
function M.buffer_has(path, line)
  local bufnr = vim.fn.bufnr(path)
  return bufnr ~= -1
    and vim.api.nvim_buf_is_loaded(bufnr)
    and vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), line)
end

--- Write the report (with the error and its traceback, if any) and quit Neovim.
local function finish(err)
  M.report.error = err
  local file = assert(io.open(vim.env.BACKBRAIN_TEST_REPORT, "w"))
  file:write(vim.json.encode(M.report))
  file:close()
  vim.cmd("qa!")
end

--- Run `scenario(M)` as a coroutine (see M.wait), then finish.
function M.run(scenario)
  coroutine.wrap(function()
    local ok, err = xpcall(scenario, debug.traceback, M)
    finish(not ok and err or nil)
  end)()
end

--- Load the scenario file (`return function(T) ... end`) and run it; a scenario that does not
--- compile is reported like one that fails, instead of leaving Neovim waiting.
function M.main(path)
  local chunk, err = loadfile(path)
  if chunk == nil then
    finish(err)
  else
    M.run(chunk())
  end
end

return M
