using System.Globalization;
using System.Text;

namespace Checkpointing.Tests.Support;

/// <summary>A readable text of everything a checkpoint stores, for comparing two loads of the same state.</summary>
public static class CheckpointFingerprint
{
    public static string Of(PipelineCheckpoint? checkpoint)
    {
        if (checkpoint is null)
        {
            return "<none>";
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{checkpoint.CheckpointId} {checkpoint.CardId} v{checkpoint.Version} {checkpoint.Status} resumes={checkpoint.ResumeCount} total={checkpoint.TotalStages}");
        text.AppendLine(CultureInfo.InvariantCulture, $"completed: {string.Join(", ", checkpoint.CompletedStages)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"failed: {string.Join(", ", checkpoint.FailedStages)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"skipped: {string.Join(", ", checkpoint.SkippedStages)}");
        foreach (var stage in checkpoint.StageCheckpoints.Values)
        {
            text.AppendLine(
                CultureInfo.InvariantCulture,
                $"stage {stage.StageName} {stage.Status} result={stage.Result?.GetRawText()} retries={stage.RetryCount} "
                + $"responses=[{string.Join(" | ", stage.LlmResponses.Select(r => $"{r.Model}:{r.Prompt}=>{r.Response}"))}]");
        }

        foreach (var (stage, responses) in checkpoint.PendingLlmResponses.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"pending {stage} [{string.Join(" | ", responses.Select(r => $"{r.Model}:{r.Prompt}=>{r.Response}"))}]");
        }

        return text.ToString();
    }
}
