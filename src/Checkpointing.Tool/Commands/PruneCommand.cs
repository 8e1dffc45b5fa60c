using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary><c>prune</c>: deletes runs by status, age and count; never touches an owned card.</summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var status = new Option<string[]>("--status") { Description = "Only runs with this status; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var olderThan = new Option<string?>("--older-than") { Description = "Only runs last changed longer ago than this (for example 30d, 12h)." };
        var keepLast = new Option<int?>("--keep-last") { Description = "Keep this many of the matching runs, the most recently updated." };
        var dryRun = ToolOptions.DryRun();
        var command = new Command("prune", "Delete runs by --status, --older-than and --keep-last; --dry-run shows the list; never touches an owned card.")
        {
            store, status, olderThan, keepLast, dryRun,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var criteria = new PruneCriteria
            {
                Statuses = StatusInput.Parse(parse.GetValue(status), "--status"),
                OlderThan = parse.GetValue(olderThan) is { } age ? TimeInput.ParseDuration(age, "--older-than") : null,
                KeepLast = parse.GetValue(keepLast),
            };
            if (criteria.Statuses is null && criteria.OlderThan is null && criteria.KeepLast is null)
            {
                throw new UsageException("prune needs --status, --older-than or --keep-last; without one it would delete every run.");
            }

            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var report = await new CheckpointMaintenance(opened.Repository).PruneAsync(criteria, parse.GetValue(dryRun), cancellationToken).ConfigureAwait(false);
            var verb = report.DryRun ? "would delete" : "deleted";
            foreach (var run in report.Deleted)
            {
                Console.Out.WriteLine($"{verb} '{run.CardId}' ({Formats.Status(run.Status)}, updated {Formats.Timestamp(run.UpdatedAt)})");
            }

            foreach (var skipped in report.Skipped)
            {
                ErrorOutput.Line($"'{skipped.CardId}' left alone: {OwnedCard.PruneReason(skipped.Reason)}");
            }

            Console.Out.WriteLine($"{Formats.Count(report.Deleted.Count, "run")} {verb}{(report.DryRun ? " (dry run, nothing changed)" : string.Empty)}, {report.Skipped.Count} left alone, in {opened.Spec.Display}");
            return report.Skipped.Count == 0 ? ExitCodes.Success : ExitCodes.Problem;
        });
        return command;
    }
}
