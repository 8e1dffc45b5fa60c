using System.CommandLine;
using System.CommandLine.Parsing;
using Checkpointing.Tool.Commands;
using Checkpointing.Tool.Output;

namespace Checkpointing.Tool.Cli;

/// <summary>The command tree and the one place where errors become exit codes and one-line messages on stderr.</summary>
internal static class ToolApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "Operate checkpointing stores: see every card and its stages, watch a run, verify files, export, rewind, copy, prune.")
        {
            ListCommand.Create(),
            ShowCommand.Create(),
            WatchCommand.Create(),
            VerifyCommand.Create(),
            ExportCommand.Create(),
            RewindCommand.Create(),
            CopyCommand.Create(),
            PruneCommand.Create(),
            CardWriteCommands.CreateClear(),
            CardWriteCommands.CreateCompact(),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in UsefulErrors(parsed.Errors))
            {
                ErrorOutput.Line($"{error.Message} (run '{CommandPath(parsed)} --help' for usage)");
            }

            return ExitCodes.Usage;
        }

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;   // let the command stop cleanly and release what it owns
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellation.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ErrorReport.Describe(ex) is { } report)
        {
            ErrorOutput.Line(report.Message);
            return report.ExitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// The errors worth printing: "Required command was not provided" adds nothing next to an unrecognized token
    /// (a misspelt command), which says what is wrong.
    /// </summary>
    private static IEnumerable<ParseError> UsefulErrors(IReadOnlyList<ParseError> errors) =>
        errors.Any(e => e.Message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
            ? errors.Where(e => !e.Message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            : errors;

    private static string CommandPath(ParseResult parsed) =>
        parsed.CommandResult.Command is RootCommand ? "checkpointing" : "checkpointing " + parsed.CommandResult.Command.Name;
}
