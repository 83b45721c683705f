// One step as a plain form and back. The form is flat (one input per setting); the flow
// service validates what comes out, and its issues are mapped back onto these field names.
import type { Step } from '../flows/definition.ts';
import type { FlowIssue } from '../flows/validate-flow.ts';
import { moduleOfType, stepModule, STEP_TYPES } from '../flows/steps/registry.ts';
import type { FormParse, StepForm } from '../flows/steps/step-module.ts';
import { str } from '../flows/steps/form-values.ts';
import { plainMessage } from './form-units.ts';

export type { StepForm } from '../flows/steps/step-module.ts';

/** A submitted form made tidy before it is read or shown again (the step type's own rule, if any). */
export function tidyStepForm(type: string, f: StepForm): StepForm {
  return moduleOfType(type)?.form.tidy?.(f) ?? f;
}

export function formOfStep(step: Step): StepForm {
  return { id: step.id, type: step.type, ...stepModule(step)?.form.values(step) };
}

/** The step a submitted form describes (unvalidated), or a field error when the form cannot say. */
export function stepOfForm(type: string, f: StepForm): FormParse {
  const mod = moduleOfType(type);
  if (!mod) return { field: 'type', message: 'unknown step type' };
  return mod.form.parse(f, { id: str(f.id).trim(), type: mod.type });
}

/** Validation paths under a step, as the form field that shows them (each type lists its own). */
const FIELD_BY_SUFFIX: Array<[RegExp, string]> = STEP_TYPES.flatMap((t) => moduleOfType(t)?.form.issueFields ?? []);

/** The engine's issues as field errors for the step at `index`, the rest as page-level messages naming their step. */
export function issuesForStep(issues: FlowIssue[], index: number, stepId: string): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const issue of issues) {
    const m = /^steps\.(\d+)(?:\.(.*))?$/.exec(issue.path);
    if (m && Number(m[1]) === index) {
      const rest = m[2] ?? '';
      const pair = FIELD_BY_SUFFIX.find(([re]) => re.test(rest));
      const field = pair ? rest.replace(pair[0], pair[1]).replace(/\..*$/, '') : rest.split('.')[0] || '_step';
      const message = plainMessage(issue.message.replace(`step "${stepId}" `, ''));
      fields[field === '' ? '_step' : field] ??= message;
    } else other.push(issue.stepId && !issue.stepId.startsWith('#') ? `Step “${issue.stepId}”: ${issue.message}` : issue.message);
  }
  return { fields, other };
}
