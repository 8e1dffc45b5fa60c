using Microsoft.Extensions.Logging;

namespace Checkpointing;

/// <summary>Log messages of rewinding and maintenance.</summary>
internal static partial class Log
{
    [LoggerMessage(40, LogLevel.Information, "Card {CardId}: rewound from stage {StageName}: {Stages} stages run again, {Kept} LLM responses kept, {Dropped} dropped (version {Version})")]
    public static partial void Rewound(ILogger logger, string cardId, string stageName, int stages, int kept, int dropped, long version);
}
