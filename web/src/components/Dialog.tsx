// The console's dialogs: the modal itself (native <dialog>), a confirmation ("Retire device?"
// with Cancel and the action) and the dialog that shows a secret once (a temporary password,
// a device or integration secret, a provisioning key). Pages use these instead of writing the
// buttons, the busy state and the error line again.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors';
import { Alert } from './ui';

/** A modal on the native <dialog>: focus is trapped and Escape closes it. */
export function Dialog({
  title,
  open,
  onClose,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={`d${titleId}`}
      // Escape arrives as `cancel`; the `close` event is not used because it also fires, later,
      // when this component closes the dialog itself (it would undo the next dialog's opening).
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div class="dialog-inner">
          <header class="dialog-head">
            <h2 id={`d${titleId}`}>{title}</h2>
            <button type="button" class="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

/**
 * One action at a time with its busy flag and its error message (what the server said, in
 * words): `run(fn)` clears the error, runs `fn`, and keeps the message when it throws.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { busy, error, run, clearError };
}

/**
 * Asks before an action on `subject` (open while it is not null). `onConfirm` does the work and
 * then closes or replaces the dialog; when it throws, the error is shown here and the dialog
 * stays open. While it runs, both buttons are disabled and Escape does not close the dialog,
 * so an answer is never lost behind a closed dialog.
 */
export function ConfirmDialog<T>({
  title,
  subject,
  onClose,
  onConfirm,
  confirmLabel,
  busyLabel,
  cancelLabel = 'Cancel',
  tone = 'danger',
  children,
}: {
  title: string;
  subject: T | null;
  onClose: () => void;
  onConfirm: (subject: T) => Promise<void>;
  confirmLabel: string;
  /** The confirm button's words while the action runs ("Retiring…"); default: unchanged. */
  busyLabel?: string;
  cancelLabel?: string;
  /** `danger` for what cannot be undone (delete, retire, cut), `primary` otherwise. */
  tone?: 'danger' | 'primary';
  /** What happens, in the page's words. */
  children: (subject: T) => ComponentChildren;
}) {
  const { busy, error, run, clearError } = useAction();
  const open = subject !== null;
  useEffect(() => {
    if (!open) clearError();
  }, [open, clearError]);
  const close = () => {
    if (!busy) onClose();
  };
  return (
    <Dialog title={title} open={open} onClose={close}>
      {subject !== null && (
        <div class="dialog-body">
          {children(subject)}
          {error && <Alert tone="critical">{error}</Alert>}
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={close} disabled={busy}>
              {cancelLabel}
            </button>
            <button type="button" class={`btn btn-${tone}`} disabled={busy} onClick={() => void run(() => onConfirm(subject))}>
              {busy && busyLabel ? busyLabel : confirmLabel}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** What a secret dialog shows: its title, the secret, and the facts that go with it (username, uid). */
export type ShownSecret = { title: string; secret: string; facts?: ComponentChildren };

/**
 * Shows a secret once (open while `shown` is not null): the facts, an optional warning, the
 * secret in a read-only field with a Copy button, and Done. When it closes the secret leaves
 * the page; only a hash stays on the server.
 */
export function SecretOnceDialog({
  shown,
  onClose,
  label,
  testId,
  hint,
  warning,
}: {
  shown: ShownSecret | null;
  onClose: () => void;
  /** The secret field's label ("Temporary password", "Device secret"). */
  label: string;
  testId: string;
  /** Under the field until it is copied. */
  hint: string;
  /** A warning above the field ("It will not be shown again…"). */
  warning?: string;
}) {
  return (
    <Dialog title={shown?.title ?? ''} open={shown !== null} onClose={onClose}>
      {shown && (
        <div class="dialog-body">
          {shown.facts && <p>{shown.facts}</p>}
          {warning && <Alert tone="warning">{warning}</Alert>}
          <SecretBox label={label} secret={shown.secret} testId={testId} hint={hint} />
          <div class="dialog-actions">
            <button type="button" class="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** The secret in a read-only field, wrapped to its width; copying must work without selecting by hand. */
function SecretBox({ label, secret, hint, testId }: { label: string; secret: string; hint: string; testId: string }) {
  const [copied, setCopied] = useState<'idle' | 'ok' | 'failed'>('idle');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const copy = useCallback(async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('ok');
    } catch {
      inputRef.current?.select();
      setCopied('failed');
    }
  }, [secret]);
  return (
    <div class="secret">
      <label for={`s${id}`}>{label}</label>
      <div class="secret-row">
        {/* A textarea, so that a long secret wraps and stays readable at every width. */}
        <textarea id={`s${id}`} ref={inputRef} class="mono" readOnly rows={2} spellcheck={false} value={secret} data-testid={testId} />
        <button type="button" class="btn" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="field-hint" aria-live="polite">
        {copied === 'ok'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Copying is blocked here; the text is selected, press Ctrl+C.'
            : hint}
      </p>
    </div>
  );
}
