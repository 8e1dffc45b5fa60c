using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// The runtime's own account of each garbage collection in this process (its GC events, read in-process): how long
/// suspending the threads took, how long the collection itself, and how long restarting them. A pause that
/// <see cref="GC.GetTotalPauseDuration"/> reports as one number is split so that a slow one tells its cause: threads that
/// are slow to reach a safe point, or the collection's own work.
/// </summary>
internal sealed class GcEvents : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStart = 1, GcEnd = 2, RestartEnd = 3, RestartBegin = 7, SuspendEnd = 8, SuspendBegin = 9;

    private static readonly Lazy<GcEvents> Instance = new(() => new GcEvents());

    private readonly ConcurrentQueue<(int Id, DateTime At, uint Count, uint Depth, uint Reason)> _events = new();

    private GcEvents()
    {
    }

    /// <summary>Gets the listener of this process, started on first use.</summary>
    public static GcEvents Shared => Instance.Value;

    /// <summary>
    /// Describes the collections numbered <paramref name="first"/> to <paramref name="last"/> (as
    /// <c>GC.CollectionCount(0)</c> counts them): for each, its generation, reason, and suspend / collect / restart times.
    /// </summary>
    public string Describe(int first, int last)
    {
        var events = _events.ToArray();
        var parts = new List<string>();
        for (var number = first; number <= last; number++)
        {
            var start = Array.FindIndex(events, e => e.Id == GcStart && e.Count == number);
            if (start < 0)
            {
                parts.Add($"#{number}: no events");
                continue;
            }

            var suspendBegin = Array.FindLastIndex(events, start, e => e.Id == SuspendBegin);
            var suspendEnd = Array.FindLastIndex(events, start, e => e.Id == SuspendEnd);
            var end = Array.FindIndex(events, start, e => e.Id == GcEnd && e.Count == number);
            var restartBegin = end < 0 ? -1 : Array.FindIndex(events, end, e => e.Id == RestartBegin);
            var restartEnd = restartBegin < 0 ? -1 : Array.FindIndex(events, restartBegin, e => e.Id == RestartEnd);
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"#{number} gen {events[start].Depth} reason {events[start].Reason}: suspend {Span(events, suspendBegin, suspendEnd)}, collect {Span(events, start, end)}, restart {Span(events, restartBegin, restartEnd)}"));
        }

        return string.Join("; ", parts);
    }

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId is GcStart or GcEnd or RestartBegin or RestartEnd or SuspendBegin or SuspendEnd)
        {
            _events.Enqueue((eventData.EventId, eventData.TimeStamp, Read(eventData, "Count"), Read(eventData, "Depth"), Read(eventData, "Reason")));
        }
    }

    private static uint Read(EventWrittenEventArgs eventData, string name)
    {
        var index = eventData.PayloadNames?.IndexOf(name) ?? -1;
        return index >= 0 && eventData.Payload![index] is { } value ? Convert.ToUInt32(value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Span((int Id, DateTime At, uint Count, uint Depth, uint Reason)[] events, int from, int to) =>
        from < 0 || to < 0 || to < from ? "?" : $"{(events[to].At - events[from].At).TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture)} ms";
}
