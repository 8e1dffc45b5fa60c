using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary><c>show &lt;card&gt;</c>: the run's header, its stage table and a bar chart of stage durations.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var json = ToolOptions.Json();
        var card = ToolOptions.Card();
        var command = new Command("show", "One card in detail: status, created, duration, ETA, resumes, failure reason, every stage, and a chart of stage durations.")
        {
            card, store, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var checkpoint = await CardLoader.LoadOneAsync(opened, parse.GetValue(card)!, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteShow(checkpoint, DateTimeOffset.UtcNow);
            }
            else
            {
                ToolConsole.Create().Write(ShowView.Build(checkpoint, DateTimeOffset.UtcNow, ToolConsole.IsPlain));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
