;;; emacs_driver.el --- drive a real Emacs + Eglot for tests/lsp/test_editors.py  -*- lexical-binding: t -*-

;; Everything goes through Eglot's own commands and Emacs's (Flymake, xref, completion at point):
;; the test loads the configuration copied out of docs/editors.md, runs one scenario in batch mode
;; and reads the JSON report written at the end.

(require 'cl-lib)
(require 'json)
(when (fboundp 'package-activate-all) (package-activate-all))  ; Eglot from ELPA on Emacs 28

(defvar bb-report nil "The report: an alist written as JSON.")
(defvar bb-choice nil "The menu item the user picks next (a code action's title).")

(defun bb-report (key value)
  (push (cons key value) bb-report))

(defun bb-idle ()
  "What a pause in typing does: run the idle timers (Eglot sends its changes, Flymake checks).
Batch Emacs never waits for input, so they would never run on their own."
  (dolist (timer (copy-sequence timer-idle-list))
    (timer-event-handler timer)))

(defun bb-wait (what condition)
  "Wait up to 20 s for CONDITION, reading the server's output and pausing as a user would."
  (let ((deadline (+ (float-time) 20)))
    (while (not (funcall condition))
      (when (> (float-time) deadline)
        (error "Timed out waiting for %s" what))
      (bb-idle)
      (accept-process-output nil 0.02))))

(defun bb-open (path)
  "Visit PATH as a user would; Eglot connects once the command loop turns (post-command-hook)."
  (find-file path)
  (run-hooks 'post-command-hook)
  (bb-wait "Eglot to manage the buffer" (lambda () (bound-and-true-p eglot--managed-mode))))

(defun bb-goto (needle &optional offset)
  "Put point on NEEDLE (plus OFFSET characters) in the current buffer."
  (goto-char (point-min))
  (unless (search-forward needle nil t)
    (error "Not in the buffer: %s" needle))
  (goto-char (+ (match-beginning 0) (or offset 0))))

(defun bb-complete (pick)
  "Completion at point as `completion-at-point' does it: the candidates, and PICK (a function of
the candidates) inserted with the completion's exit function (Eglot applies the item's edit)."
  (let* ((capf (eglot-completion-at-point))
         (beg (nth 0 capf)) (end (nth 1 capf)) (table (nth 2 capf))
         (exit (plist-get (nthcdr 3 capf) :exit-function))
         (candidates (all-completions (buffer-substring-no-properties beg end) table))
         (chosen (funcall pick candidates)))
    (when chosen
      (delete-region beg end)
      (goto-char beg)
      (insert chosen)
      (when exit (funcall exit chosen 'finished)))
    (mapcar #'substring-no-properties candidates)))

(defun bb-command (command)
  "Run COMMAND as from the keyboard (`M-x COMMAND RET'): its menus are then read in the minibuffer."
  (let ((last-nonmenu-event ?\r))
    (call-interactively command)))

(defun bb-flymake-texts ()
  (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))

;; A question would wait for a key that never comes: the user answers yes, or picks `bb-choice'.
(advice-add 'y-or-n-p :override (lambda (&rest _) t))
(advice-add 'yes-or-no-p :override (lambda (&rest _) t))
(advice-add 'completing-read :override
            (lambda (_prompt collection &rest _)
              (bb-report "menu" (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
              (or bb-choice (error "A menu with nothing chosen"))))

(defvar bb-messages nil "What Emacs showed in the echo area (the server's messages among them).")
(advice-add 'message :before
            (lambda (format-string &rest args)
              (when format-string (push (apply #'format-message format-string args) bb-messages))))

(defmacro bb-run (&rest body)
  "Run BODY, write the report (with the error, if any) and leave Emacs."
  `(progn
     (condition-case err
         (progn ,@body)
       (error (bb-report "error" (format "%S" err))))
     (bb-report "messages" (reverse bb-messages))
     (with-temp-file (getenv "BACKBRAIN_TEST_REPORT")
       (insert (json-encode bb-report)))
     (kill-emacs 0)))

(provide 'emacs_driver)
;;; emacs_driver.el ends here
