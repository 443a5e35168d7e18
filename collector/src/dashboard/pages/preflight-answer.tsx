import type { PreflightAnswer } from "../../governance/rules-schema.ts";
import { ListTable, When } from "../components.tsx";

/** The answer of a dry-run preflight: allowed or the block (code, rule, retry time), then every rule's verdict. */
export function PreflightAnswerView(props: { answer: PreflightAnswer; target: string; now: Date }) {
  const { answer } = props;
  const block = answer.block;
  const rule = typeof block?.details?.rule_name === "string" ? block.details.rule_name : undefined;
  return (
    <section aria-labelledby="answer-title" class="preflight-answer" data-allowed={String(answer.allowed)}>
      <h2 id="answer-title">
        {answer.allowed ? (
          <span class="status status-completed">allowed</span>
        ) : (
          <span class="status status-failed">blocked</span>
        )}{" "}
        {props.target}
      </h2>
      {block ? (
        <p class="banner banner-failed" role="status">
          <code>{block.code}</code> (HTTP {answer.http_status}){rule ? ` by rule “${rule}”` : ""}:{" "}
          {block.message}
          {block.retry_after ? (
            <>
              {" "}
              · retry <When at={block.retry_after} now={props.now} />
            </>
          ) : null}
        </p>
      ) : (
        <p role="status">No enabled rule and no lock stops this deployment now.</p>
      )}
      {answer.warnings.length > 0 ? (
        <ul class="warnings">
          {answer.warnings.map((warning) => (
            <li>
              Report-only rule “{warning.rule_name}” not satisfied: {warning.error_message ?? ""}
            </li>
          ))}
        </ul>
      ) : null}
      {answer.rules_evaluated.length === 0 ? (
        <p class="empty">No rule applies to this product and environment.</p>
      ) : (
        <ListTable columns={["Rule", "Mode", "Result", "Message"]}>
          {answer.rules_evaluated.map((evaluation) => (
            <tr>
              <th scope="row">{evaluation.rule_name}</th>
              <td>{evaluation.mode.replace("_", " ")}</td>
              <td>
                <span
                  class={`status ${evaluation.evaluation_result === "passed" ? "status-completed" : "status-failed"}`}
                >
                  {evaluation.evaluation_result}
                </span>
              </td>
              <td class="wrap">{evaluation.error_message ?? ""}</td>
            </tr>
          ))}
        </ListTable>
      )}
    </section>
  );
}
