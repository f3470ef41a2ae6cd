#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsNotificationChannel, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsNotificationChannel' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'passes the webhook settings as flags and its HMAC key on stdin only' {
        $null = New-AmsNotificationChannel -Name 'SecOps' -Kind webhook -Url 'https://hooks.example.test/ams' -RouteEvent 'access.request', 'jit' -RouteOutcome denied -MaxAttempts 5 -Secret (New-AmsTestSecureString 'HmacCanary-0123456789') -Confirm:$false
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'notification-channel new --name SecOps --kind webhook --url https://hooks.example.test/ams --route-event access.request --route-event jit --route-outcome denied --max-attempts 5'
        $call.Line | Should -Not -Match 'HmacCanary'
        $call.Stdin | Should -BeExactly "HmacCanary-0123456789`n"
    }

    It 'turns -Disabled into --enabled false and passes script arguments that start with a dash' {
        $null = New-AmsNotificationChannel -Name 'Hook' -Kind script -Command '/usr/local/bin/hook' -Arg '--json', 'x' -Disabled -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'notification-channel new --name Hook --kind script --command /usr/local/bin/hook --arg=--json --arg x --enabled false'
    }

    It 'refuses an unknown kind before running ams' {
        { New-AmsNotificationChannel -Name 'X' -Kind pager -ErrorAction Stop } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'runs nothing with -WhatIf' {
        New-AmsNotificationChannel -Name 'X' -Kind script -Command '/bin/true' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
