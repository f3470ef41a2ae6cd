#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Integration tests of the notification cmdlets (New-/Get-/Set-/Remove-/Test-AmsNotificationChannel,
# Set-AmsNotificationChannelSecret, Get-AmsNotificationQueue, Invoke-AmsNotificationDelivery)
# against the real ams binary and a fresh instance of their own. The unit tests of each cmdlet run
# against the stub; these show that what the cmdlets send is what ams takes, and that a script
# channel really receives the event. The binary is $env:AMS_TEST_BINARY, else target/debug/ams of
# the workspace; without one the tests are skipped (see Integration.Tests.ps1).

BeforeDiscovery {
    $binary = $env:AMS_TEST_BINARY
    if (-not $binary) {
        $name = if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { 'ams.exe' } else { 'ams' }
        $binary = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', $name)
    }
    $script:NoBinary = -not (Test-Path -LiteralPath $binary -PathType Leaf)
    # The script channel runs /bin/sh; ams starts its program without a shell of its own.
    $script:NoShell = -not (Test-Path -LiteralPath '/bin/sh' -PathType Leaf)
}

Describe 'Notification channels against the real ams' -Tag 'Integration' -Skip:($script:NoBinary -or $script:NoShell) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        Import-AmsTestModule

        $binary = $env:AMS_TEST_BINARY
        if (-not $binary) {
            $binary = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', 'ams'))
        }
        $saved = @{ Cli = $env:AMS_CLI_PATH; Data = $env:AMS_DATA_DIR }
        $env:AMS_CLI_PATH = $binary
        $root = Join-Path ([System.IO.Path]::GetTempPath()) "ams-pester-notify-$([guid]::NewGuid().ToString('n'))"
        $env:AMS_DATA_DIR = Join-Path $root 'data'
        $null = New-Item -ItemType Directory -Path $root

        # The channel's program: appends the event JSON it reads on stdin, one document a line, to
        # the file named by its first argument.
        $eventFile = Join-Path $root 'events.jsonl'
        $script = Join-Path $root 'notify.sh'
        [System.IO.File]::WriteAllText($script, "#!/bin/sh`ncat >> `"`$1`"`necho >> `"`$1`"`n")
        & chmod 755 $script

        # A secret that must never come back in any output of the module.
        $secretText = 'pester-canary-' + [guid]::NewGuid().ToString('n')
        $secret = ConvertTo-SecureString -String $secretText -AsPlainText -Force
        $newSecretText = 'pester-canary-new-' + [guid]::NewGuid().ToString('n')

        function Read-AmsTestEvent {
            # The event documents the script has written so far.
            if (-not (Test-Path -LiteralPath $eventFile)) {
                return
            }
            foreach ($line in [System.IO.File]::ReadAllLines($eventFile)) {
                if (-not [string]::IsNullOrWhiteSpace($line)) {
                    $line | ConvertFrom-Json
                }
            }
        }

        function ConvertTo-AmsTestText {
            # Everything an object shows: its JSON and its default formatting.
            param([object[]] $InputObject)
            foreach ($item in $InputObject) {
                if ($null -ne $item) {
                    ConvertTo-Json -InputObject $item -Depth 10 -WarningAction SilentlyContinue
                    $item | Format-List -Property * | Out-String -Width 400
                    $item | Out-String -Width 400
                }
            }
        }

        $null = Initialize-AmsInstance -GenerateRecoveryPassword -Confirm:$false
    }

    AfterAll {
        $env:AMS_CLI_PATH = $saved.Cli
        $env:AMS_DATA_DIR = $saved.Data
        if (Test-Path -LiteralPath $root) {
            Remove-Item -LiteralPath $root -Recurse -Force
        }
    }

    It 'creates a script channel and lists it' {
        $channel = New-AmsNotificationChannel -Name 'PesterScript' -Kind script -Command $script -Arg $eventFile -TimeoutSeconds 20 -MaxAttempts 3
        $channel.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationChannel'
        $channel.Name | Should -BeExactly 'PesterScript'
        $channel.Kind | Should -BeExactly 'Script'

        $listed = @(Get-AmsNotificationChannel)
        $listed.Name | Should -Contain 'PesterScript'
        $one = Get-AmsNotificationChannel -Name 'PesterScript'
        $one.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationChannel'
        $one.Id | Should -BeExactly $channel.Id
    }

    It 'delivers a test event to the script, which writes it to the file' {
        $result = Test-AmsNotificationChannel -Name 'PesterScript'
        $result.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationTest'

        $events = @(Read-AmsTestEvent)
        $events.Count | Should -Be 1
        $events[0].Channel | Should -BeExactly 'PesterScript'
        $events[0].Event | Should -Not -BeNullOrEmpty
        $events[0].DeliveryId | Should -Not -BeNullOrEmpty
    }

    It 'changes the channel: a body template, a route, then disabled and enabled again' {
        $changed = Set-AmsNotificationChannel -Name 'PesterScript' -BodyTemplate 'pester {{Event}} {{Outcome}}' -RouteEvent '*'
        $changed.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationChannel'
        (Get-AmsNotificationChannel -Name 'PesterScript' | ConvertTo-Json -Depth 6) | Should -Match 'pester \{\{Event\}\} \{\{Outcome\}\}'

        $null = Test-AmsNotificationChannel -Name 'PesterScript'
        $last = @(Read-AmsTestEvent)[-1]
        $last.Message | Should -BeLike 'pester *'

        $off = Get-AmsNotificationChannel -Name 'PesterScript' | Set-AmsNotificationChannel -Disable
        (ConvertTo-Json -InputObject $off -Depth 6) | Should -Match '"Enabled":\s*false'
        $on = Set-AmsNotificationChannel -Name 'PesterScript' -Enable
        (ConvertTo-Json -InputObject $on -Depth 6) | Should -Match '"Enabled":\s*true'
    }

    It 'queues routed events and delivers them with Invoke-AmsNotificationDelivery' {
        $before = @(Read-AmsTestEvent).Count
        # An audited event that the channel's route '*' matches.
        $null = New-AmsGroup -Name 'Pester notify group'
        $queued = @(Get-AmsNotificationQueue -Channel 'PesterScript')
        $queued.Count | Should -BeGreaterThan 0
        $queued[0].PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationMessage'

        $run = Invoke-AmsNotificationDelivery -Confirm:$false
        $run.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationRun'
        $after = @(Read-AmsTestEvent)
        $after.Count | Should -BeGreaterThan $before
        @($after | Select-Object -Skip $before | ForEach-Object { $_.Channel }) | Should -Contain 'PesterScript'
        @(Get-AmsNotificationQueue -Channel 'PesterScript' -State delivered).Count | Should -BeGreaterThan 0
    }

    It 'reports a failing script as AMS-NTF-0005 naming the channel' {
        $null = New-AmsNotificationChannel -Name 'PesterFailing' -Kind script -Command '/bin/sh' -Arg '-c', 'exit 3'
        Test-AmsNotificationChannel -Name 'PesterFailing' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeExactly 'AMS-NTF-0005,Test-AmsNotificationChannel'
        $failures[0].TargetObject | Should -BeExactly 'PesterFailing'
        Remove-AmsNotificationChannel -Name 'PesterFailing' -Force | Out-Null
    }

    It 'never shows a channel secret given as a SecureString' {
        $outputs = [System.Collections.Generic.List[object]]::new()
        $outputs.Add((New-AmsNotificationChannel -Name 'PesterHook' -Kind webhook -Url 'https://127.0.0.1:9/hook' -Secret $secret))
        $outputs.Add((Get-AmsNotificationChannel -Name 'PesterHook'))
        $outputs.Add((Set-AmsNotificationChannel -Name 'PesterHook' -RouteEvent 'access' -Confirm:$false))
        $newSecret = ConvertTo-SecureString -String $newSecretText -AsPlainText -Force
        $outputs.Add((Set-AmsNotificationChannelSecret -Name 'PesterHook' -Secret $newSecret -Confirm:$false))
        # The delivery fails (nothing listens on port 9): its error record must not hold the key either.
        Test-AmsNotificationChannel -Name 'PesterHook' -ErrorAction SilentlyContinue -ErrorVariable hookFailures
        $outputs.Add((Get-AmsNotificationQueue))
        foreach ($failure in @($hookFailures)) {
            $outputs.Add(($failure | Format-List -Property * -Force | Out-String -Width 400))
            $outputs.Add($failure.Exception.Message)
        }
        # A webhook cannot go without its key: refused, and the refusal holds no key either.
        Set-AmsNotificationChannel -Name 'PesterHook' -ClearSecret -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable clearFailures
        $clearFailures.Count | Should -Be 1
        $outputs.Add(($clearFailures[0] | Format-List -Property * -Force | Out-String -Width 400))
        $outputs.Add((Get-AmsNotificationChannel))

        $text = (ConvertTo-AmsTestText -InputObject $outputs.ToArray()) -join "`n"
        $text | Should -Not -BeNullOrEmpty
        $text | Should -Match 'PesterHook'
        $text.Contains($secretText) | Should -BeFalse
        $text.Contains($newSecretText) | Should -BeFalse
        # Nor what the script channel received.
        [System.IO.File]::ReadAllText($eventFile).Contains($secretText) | Should -BeFalse
    }

    It 'removes channels; a removed channel is gone' {
        $removed = Remove-AmsNotificationChannel -Name 'PesterHook' -Force
        $removed.PSObject.TypeNames[0] | Should -BeExactly 'Ams.NotificationChannel'
        Get-AmsNotificationChannel | Remove-AmsNotificationChannel -Force | Out-Null
        @(Get-AmsNotificationChannel).Count | Should -Be 0
        Get-AmsNotificationChannel -Name 'PesterScript' -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing.Count | Should -Be 1
        $missing[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
    }

    It 'asks before removing: -WhatIf leaves the channel' {
        $null = New-AmsNotificationChannel -Name 'PesterKept' -Kind script -Command $script -Arg $eventFile
        Remove-AmsNotificationChannel -Name 'PesterKept' -WhatIf
        (Get-AmsNotificationChannel -Name 'PesterKept').Name | Should -BeExactly 'PesterKept'
    }
}
